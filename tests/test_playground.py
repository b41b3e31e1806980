"""The rule playground in a real headless Chromium (Debian's `chromium` and `chromium-driver`,
driven by Selenium) against a real server started with `--http-port`, plus its JSON gateway
over plain HTTP: the same answers and errors as the gRPC API.

Screenshots are kept in build/test-artifacts/playground/ (docs/playground.png is one of them).
"""

from __future__ import annotations

import http.client
import json
import shutil
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from service.proto.sitrep.v1 import extraction_pb2 as pb
from service.proto.sitrep.v1 import extraction_pb2_grpc as pbg
from tests.server import BASIC_RULES, ROOT, RunningServer, free_port, run_server

ARTIFACTS = ROOT / "build" / "test-artifacts" / "playground"
TOKEN = "playground-test-token"
TEXT = "Four Russian soldiers were injured in the missile attack, according to Tass."
DRAFT = """version: 1
rules:
  - id: draft.displaced_families
    event: casualty
    casualty_kind: MISSING
    pattern:
      - {LIKE_NUM: true, as: count}
      - {LEMMA: {IN: [villager, farmer]}, as: victims}
      - {LEMMA: be}
      - {LOWER: {IN: [missing, unaccounted]}, as: kind}
    examples:
      - text: Nine farmers were missing after the flood near Orvelle.
        expect: [{count: 9, victims: farmers}]
      - text: Two villagers were unaccounted for in Tarsk.
        expect: [{count: 3}]
"""
DRAFT_TEXT = "Officials in Lemberg said six villagers were missing."


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[RunningServer, int]]:
    with tempfile.TemporaryDirectory() as tmp:
        rules = Path(tmp) / "rules"
        rules.mkdir()
        (rules / "basic.yaml").write_text(BASIC_RULES, encoding="utf-8")
        http_port = free_port()
        extra = ("--http-port", str(http_port), "--enable-drafts", "--admin-token", TOKEN)
        with run_server(rules, *extra, log_dir=Path(tmp)) as running:
            yield running, http_port


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    assert chromium and driver, "Debian's chromium and chromium-driver are needed (make test installs them)"
    profile = tempfile.mkdtemp(prefix="sitrep-chromium-")
    options = Options()
    options.binary_location = chromium
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1280,1400", f"--user-data-dir={profile}"):  # fmt: skip
        options.add_argument(flag)
    chrome = webdriver.Chrome(options=options, service=Service(executable_path=driver))
    try:
        yield chrome
    finally:
        chrome.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _wait_done(chrome: WebDriver, timeout: float = 30.0) -> str:
    WebDriverWait(chrome, timeout).until(
        lambda c: c.find_element(By.TAG_NAME, "body").get_attribute("data-state") in {"done", "error"}
    )
    return str(chrome.find_element(By.TAG_NAME, "body").get_attribute("data-state"))


def _rows(chrome: WebDriver, table: str) -> list[list[str]]:
    rows = chrome.find_elements(By.CSS_SELECTOR, f"#{table} tbody tr")
    return [[cell.text for cell in row.find_elements(By.TAG_NAME, "td")] for row in rows]


def _shot(chrome: WebDriver, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    chrome.save_screenshot(str(path))
    assert path.stat().st_size > 10_000
    return path


def test_page_highlights_the_casualty_and_its_roles(server: tuple[RunningServer, int], browser: WebDriver) -> None:
    _, http_port = server
    browser.get(f"http://127.0.0.1:{http_port}/?text={urllib.parse.quote(TEXT)}")
    assert _wait_done(browser) == "done"
    assert browser.find_element(By.ID, "text").get_attribute("value") == TEXT
    events = _rows(browser, "events")
    assert [row[:2] for row in events] == [["casualty.count_passive", "casualty"]]
    assert {"victims: Russian soldiers", "count: Four", "kind: INJURED"} <= set(events[0][3].split("; "))
    marked = {
        span.get_attribute("data-role"): span.text.replace(span.get_attribute("data-role") or "", "").strip()
        for span in browser.find_elements(By.CSS_SELECTOR, "#marked span[data-role]")
    }
    assert marked["victims"] == "Russian soldiers" and marked["count"] == "Four"
    assert "casualty.count_passive" in browser.find_element(By.ID, "marked").get_attribute("innerHTML")
    # the attack rule did not fire: its near miss names the node and the constraint
    misses = {row[0]: row for row in _rows(browser, "misses")}
    assert misses["attack.subject_verb_object"][2].startswith("node trigger:")
    # one arc per token that is not the root, each labelled with its relation
    labels = [t.text for t in browser.find_elements(By.CSS_SELECTOR, "#parse text.label")]
    assert "nsubjpass" in labels and len(labels) == 13  # 14 tokens, one of them the root
    _shot(browser, "casualty")


def test_a_typed_draft_fires_and_reports_its_examples(server: tuple[RunningServer, int], browser: WebDriver) -> None:
    running, http_port = server
    browser.get(f"http://127.0.0.1:{http_port}/?text={urllib.parse.quote(DRAFT_TEXT)}")
    assert _wait_done(browser) == "done"
    assert _rows(browser, "events")[0][0] == "no events"  # the serving rules find nothing here
    editor = browser.find_element(By.ID, "draft")
    editor.clear()
    editor.send_keys(DRAFT)
    browser.find_element(By.ID, "token").send_keys(TOKEN)
    browser.execute_script("document.body.dataset.state = 'busy'")
    browser.find_element(By.ID, "run-draft").click()
    assert _wait_done(browser) == "done"
    events = _rows(browser, "events")
    assert [row[0] for row in events] == ["draft.displaced_families"]
    assert "victims: villagers" in events[0][3] and "count: six" in events[0][3]
    examples = _rows(browser, "examples")
    assert [row[3].split(":")[0] for row in examples] == ["passed", "failed"]
    assert 'expected [{"count": 3}]' in examples[1][3]
    assert "(1 passed, 1 failed)" in browser.find_element(By.ID, "example-count").text
    _shot(browser, "draft")
    # the serving rules never changed
    with running.channel() as channel:
        rule_ids = [r.id for r in pbg.ExtractionServiceStub(channel).GetRuleSet(pb.GetRuleSetRequest()).rules]
    assert rule_ids == ["attack.subject_verb_object", "casualty.count_passive"]


def test_a_draft_without_the_token_shows_the_api_error(server: tuple[RunningServer, int], browser: WebDriver) -> None:
    _, http_port = server
    browser.get(f"http://127.0.0.1:{http_port}/?text=x")
    _wait_done(browser)
    browser.execute_script("document.body.dataset.state = 'busy'")
    browser.find_element(By.ID, "run-draft").click()
    assert _wait_done(browser) == "error"
    error = browser.find_element(By.ID, "error").text
    assert error.startswith("UNAUTHENTICATED: [S204]")


def _post(http_port: int, path: str, body: bytes, token: str = "") -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(f"http://127.0.0.1:{http_port}{path}", data=body, method="POST")
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=60) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_gateway_answers_and_errors_as_the_grpc_api(server: tuple[RunningServer, int]) -> None:
    running, http_port = server
    status, body = _post(http_port, "/v1/Extract", json.dumps({"document": {"id": "a", "text": TEXT}}).encode())
    with running.channel() as channel:
        reply = pbg.ExtractionServiceStub(channel).Extract(pb.ExtractRequest(document=pb.Document(id="a", text=TEXT)))
    assert status == 200 and [e["rule_id"] for e in body["events"]] == [e.rule_id for e in reply.events]

    status, body = _post(http_port, "/v1/Explain", b'{"text": ""}')
    assert status == 400 and body["code"] == "INVALID_ARGUMENT"
    assert body["violations"] == [{"field": "text", "description": "[S101] text must not be empty"}]
    status, body = _post(http_port, "/v1/Explain", json.dumps({"text": TEXT, "rule_id": "no.such"}).encode())
    assert status == 400 and body["violations"][0]["field"] == "rule_id"
    status, body = _post(http_port, "/v1/Explain", json.dumps({"text": "x", "draft_yaml": "version: 1"}).encode())
    assert (status, body["code"]) == (401, "UNAUTHENTICATED")
    status, body = _post(http_port, "/v1/Explain", b'{"text": "x", "draft_yaml": "rules: [1"}', TOKEN)
    assert status == 400 and body["violations"][0]["description"].startswith("[S110] draft refused: draft.yaml:")
    status, body = _post(http_port, "/v1/Explain", b'{"txt": 1}')
    assert status == 400 and "ExplainRequest" in body["message"]
    status, body = _post(http_port, "/v1/StreamExtract", b"{}")
    assert status == 404
    connection = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
    connection.putrequest("POST", "/v1/Explain")
    connection.putheader("Content-Length", str(64 * 1024 * 1024 + 1))  # over --max-message-bytes
    connection.endheaders()
    reply = connection.getresponse()
    assert (reply.status, json.loads(reply.read())["code"]) == (413, "RESOURCE_EXHAUSTED")
    connection.close()
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(f"http://127.0.0.1:{http_port}/etc/passwd", timeout=10)
    assert missing.value.code == 404


def test_grpc_error_codes_match_the_gateway_statuses(server: tuple[RunningServer, int]) -> None:
    """The same draft refusal through gRPC: UNAUTHENTICATED without a token, BadRequest with one."""
    running, _ = server
    with running.channel() as channel:
        stub = pbg.ExtractionServiceStub(channel)
        with pytest.raises(grpc.RpcError) as refused:
            stub.Explain(pb.ExplainRequest(text="x", draft_yaml="version: 1"))
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
        reply = stub.Explain(
            pb.ExplainRequest(text=DRAFT_TEXT, draft_yaml=DRAFT), metadata=(("authorization", f"Bearer {TOKEN}"),)
        )
    assert reply.draft and [e.rule_id for e in reply.events] == ["draft.displaced_families"]
    # each example by the line of its `- text:` item
    assert [(e.line, e.passed) for e in reply.examples] == [(12, True), (14, False)]
