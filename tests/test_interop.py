"""Interop: the real server, called by a non-Python gRPC client (`buf curl`, Go) over reflection.

- `buf lint` passes on protos/ (buf.yaml there);
- `buf curl` finds ExtractionService through server reflection alone (no --schema), and the JSON
  it gets back from Extract holds the seed article's events, whose UTF-16 spans slice the text
  the way a Java/JavaScript/C# caller would slice it;
- GetRuleSet and grpc.health.v1.Health/Check answer through reflection too;
- an empty document is refused with INVALID_ARGUMENT and its BadRequest detail.

buf comes from npm (package.json pins it): run `npm ci` in the repo root first. A missing buf is
a failure, not a skip, so CI cannot pass without running these tests.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.server import BASIC_RULES, ROOT, SEED, RunningServer, run_server

BUF = ROOT / "node_modules" / ".bin" / "buf"
SERVICE = "sitrep.v1.ExtractionService"

# The rule pack the server runs: self-contained, so these tests do not depend on rules/.
RULES = BASIC_RULES

# What these rules find in the seed article, in document order.
SEED_EVENTS = [
    ("EVENT_TYPE_ATTACK", "attack.subject_verb_object", "The Ukrainian forces struck a target inside Russia"),
    ("EVENT_TYPE_ATTACK", "attack.subject_verb_object", "Russian forces bombarded the outskirts of Kyiv"),
    ("EVENT_TYPE_CASUALTY", "casualty.count_passive", "Russia-Ukraine border, four Russian soldiers were injured, according to Russian news agency Tass"),
    ("EVENT_TYPE_ATTACK", "attack.subject_verb_object", "Russian forces also struck a Red Cross facility"),
]  # fmt: skip
MENTION_FIELDS = {
    "attack": ("attacker", "target", "location", "weapon", "trigger"),
    "casualty": ("victims", "perpetrator", "location", "source", "count"),
}

# Characters outside the Basic Multilingual Plane: one code point, two UTF-16 code units each.
NON_BMP_PREFIX = "\U0001f1fa\U0001f1e6 \U0001d5e8\U0001d5fd\U0001d5f1\U0001d5ee\U0001d601\U0001d5f2 \U0001f4f0\n\n"


def buf() -> Path:
    if not BUF.exists():
        pytest.fail(
            f"{BUF.relative_to(ROOT)} is missing: run `npm ci` in the repo root (package.json pins @bufbuild/buf)"
        )
    return BUF


def buf_curl(
    server: RunningServer, method: str, body: dict[str, Any] | None = None, *, expect_ok: bool = True
) -> subprocess.CompletedProcess[str]:
    """`buf curl` over plain-text HTTP/2 with the gRPC protocol; the schema comes from reflection."""
    cmd = [
        str(buf()), "curl", "--protocol", "grpc", "--http2-prior-knowledge", "--emit-defaults",
        "--timeout", "30s", f"http://{server.target}/{method}",
    ]  # fmt: skip
    if body is not None:
        cmd += ["--data", "@-"]
    done = subprocess.run(
        cmd, input=json.dumps(body) if body is not None else None, capture_output=True, text=True, timeout=60
    )
    if expect_ok:
        assert done.returncode == 0, (
            f"buf curl {method} exited {done.returncode}\nstdout: {done.stdout}\nstderr: {done.stderr}\n"
            f"server log:\n{server.log()[-3000:]}"
        )
    return done


def utf16_slice(text: str, span: dict[str, int]) -> str:
    units = text.encode("utf-16-le")
    return units[2 * span["start"] : 2 * span["end"]].decode("utf-16-le")


def codepoint_slice(text: str, span: dict[str, int]) -> str:
    return text[span["start"] : span["end"]]


def check_spans(text: str, events: list[dict[str, Any]], slicer: Any) -> None:
    """Every event's span, and every mention's and count's span, slices to its text."""
    for event in events:
        assert slicer(text, event["span"]) == event["text"], event
        for family, fields in MENTION_FIELDS.items():
            detail = event.get(family) or {}
            for name in fields:
                mention = detail.get(name)
                if mention and mention.get("text"):
                    assert slicer(text, mention["span"]) == mention["text"], (event["id"], name, mention)


def extract(server: RunningServer, doc_id: str, text: str, encoding: str) -> dict[str, Any]:
    body = {"document": {"id": doc_id, "text": text}, "offset_encoding": encoding}
    reply: dict[str, Any] = json.loads(buf_curl(server, f"{SERVICE}/Extract", body).stdout)
    return reply


@pytest.fixture(scope="module")
def interop_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    buf()  # fail before paying for a server start
    rules = tmp_path_factory.mktemp("interop-rules")
    (rules / "pack.yaml").write_text(RULES, encoding="utf-8")
    with run_server(rules, log_dir=tmp_path_factory.mktemp("interop-logs")) as running:
        yield running


def test_buf_lint_protos() -> None:
    done = subprocess.run([str(buf()), "lint"], cwd=ROOT / "protos", capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"buf lint found problems:\n{done.stdout}{done.stderr}"


def test_extract_seed_over_reflection_with_utf16_offsets(interop_server: RunningServer) -> None:
    text = SEED.read_text(encoding="utf-8")
    reply = extract(interop_server, "seed", text, "OFFSET_ENCODING_UTF16")
    assert reply["documentId"] == "seed"
    assert reply["ruleSetVersion"]
    events = reply["events"]
    assert [(e["type"], e["ruleId"], e["text"]) for e in events] == SEED_EVENTS
    assert [e["id"] for e in events] == [f"seed:{i}" for i in range(len(events))]
    check_spans(text, events, utf16_slice)
    casualty = next(e["casualty"] for e in events if e["type"] == "EVENT_TYPE_CASUALTY")
    assert casualty["kind"] == "CASUALTY_KIND_INJURED"
    # int64 fields are JSON strings in the proto3 JSON mapping.
    assert (casualty["count"]["min"], casualty["count"]["max"]) == ("4", "4")
    assert casualty["count"]["qualifier"] == "QUALIFIER_EXACT"


def test_utf16_offsets_count_surrogate_pairs(interop_server: RunningServer) -> None:
    """With non-BMP characters before the events, UTF-16 and code-point offsets differ, and each
    encoding's spans slice the text correctly in its own unit."""
    text = NON_BMP_PREFIX + SEED.read_text(encoding="utf-8")
    utf16 = extract(interop_server, "wide", text, "OFFSET_ENCODING_UTF16")["events"]
    points = extract(interop_server, "wide", text, "OFFSET_ENCODING_CODE_POINT")["events"]
    assert [(e["type"], e["ruleId"], e["text"]) for e in utf16] == SEED_EVENTS
    assert [(e["type"], e["ruleId"], e["text"]) for e in points] == SEED_EVENTS
    check_spans(text, utf16, utf16_slice)
    check_spans(text, points, codepoint_slice)
    non_bmp = sum(1 for ch in NON_BMP_PREFIX if ord(ch) > 0xFFFF)
    assert non_bmp > 0
    for wide, narrow in zip(utf16, points, strict=True):
        assert wide["span"]["start"] == narrow["span"]["start"] + non_bmp
        assert wide["span"]["end"] == narrow["span"]["end"] + non_bmp


def test_get_rule_set_over_reflection(interop_server: RunningServer) -> None:
    reply = json.loads(buf_curl(interop_server, f"{SERVICE}/GetRuleSet", {}).stdout)
    assert [(r["id"], r["eventType"], r["status"]) for r in reply["rules"]] == [
        ("attack.subject_verb_object", "EVENT_TYPE_ATTACK", "RULE_STATUS_ACTIVE"),
        ("casualty.count_passive", "EVENT_TYPE_CASUALTY", "RULE_STATUS_ACTIVE"),
    ]
    assert all(r["file"].endswith("pack.yaml") and r["line"] > 0 for r in reply["rules"])
    assert reply["lastReload"]["success"] is True
    assert reply["lastReload"]["attemptedVersion"] == reply["version"]
    assert reply["pipeline"]["spacyVersion"]
    # The version Extract reports is the one GetRuleSet reports.
    extracted = extract(interop_server, "v", "Russian forces bombarded the outskirts of Kyiv.", "OFFSET_ENCODING_UTF8")
    assert extracted["ruleSetVersion"] == reply["version"]


@pytest.mark.parametrize("service", ["", SERVICE])
def test_health_check_over_reflection(interop_server: RunningServer, service: str) -> None:
    reply = json.loads(buf_curl(interop_server, "grpc.health.v1.Health/Check", {"service": service}).stdout)
    assert reply == {"status": "SERVING"}


def test_empty_text_is_invalid_argument(interop_server: RunningServer) -> None:
    done = buf_curl(interop_server, f"{SERVICE}/Extract", {"document": {"id": "empty", "text": ""}}, expect_ok=False)
    assert done.returncode != 0, done.stdout
    error = json.loads(done.stderr)
    assert error["code"] == "invalid_argument", error
    assert "S101" in error["message"]
    assert [d["type"] for d in error["details"]] == ["google.rpc.BadRequest"]
