"""The monitoring bundle against live data: a real Prometheus scraping the real server.

The server runs its own small rule pack (one rule never fires) with the admin RPC on. A real
Prometheus (Debian's `prometheus`) scrapes its /metrics every second and evaluates the alert
rules of k8s/base/monitoring/alerts.rules.yaml. The test sends traffic to every RPC, one
INVALID_ARGUMENT, one UNAUTHENTICATED, and three reloads (an edit, a broken edit, the restore),
while light background traffic keeps the rates non-zero. Then:

- every PromQL expression of every dashboard panel, and the left-hand side of every alert,
  parses and returns data with a finite value from that Prometheus;
- the alert rules load in Prometheus and evaluate without error;
- `promtool check metrics` finds no problem in the exposition text;
- the gRPC and rule metrics mean what the dashboard assumes (codes, per-rule zero series,
  reload outcomes, stream message counts).

Windows: Grafana's `$__rate_interval` is replaced by 15s and `$__range` by 1m (the dashboard's
own stand-ins from tests/promql_exprs.py, 1m and 1h, are queried too). Prometheus evaluates
`rate`/`increase` from whatever samples fall in the window, so 15+ one-second scrapes are enough
for every expression to have data; the alerts' [5m] windows are then partly filled, which is
all a "returns data" check needs. The whole module takes about 30-40 s.

prometheus/promtool are required on CI (CI=true): without them these tests fail there, and are
skipped elsewhere.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pytest
import yaml

from service.proto.sitrep.v1 import extraction_pb2 as pb
from service.proto.sitrep.v1 import extraction_pb2_grpc as pb_grpc
from tests.promql_exprs import (
    VARIABLE_VALUES,
    alert_exprs,
    dashboard_exprs,
    iter_panels,
    load_dashboard,
    strip_threshold,
    substitute,
)
from tests.server import BASIC_RULES, ROOT, SEED, RunningServer, free_port, run_server, terminate

MONITORING = ROOT / "k8s" / "base" / "monitoring"
DASHBOARD = MONITORING / "dashboard.json"
ALERTS = MONITORING / "alerts.rules.yaml"
SERVICE = "sitrep.v1.ExtractionService"
TOKEN = "t"
ADMIN = (("authorization", f"Bearer {TOKEN}"),)

SHORT_WINDOWS = {
    **VARIABLE_VALUES,
    "__rate_interval": "15s",
    "__interval": "15s",
    "__range": "1m",
    "__range_s": "60",
    "__range_ms": "60000",
}
MIN_SCRAPES = 15  # one-second scrapes before querying: covers the 15s rate window
SCRAPES_AFTER_TRAFFIC = 3  # so the last reload and the failed calls are in the TSDB
QUERY_PATIENCE = 20.0  # seconds, shared by all expressions, that data may still take to show

DROPPED_RULE = """\
  - id: siege.dropped_by_edit
    event: siege
    description: Deleted by the reload; its series must go with it
    phrases: ["encircled the town"]
"""
RULES = (
    BASIC_RULES
    + """\
  - id: siege.laid_siege
    event: siege
    description: Never fires on this test's traffic
    phrases: ["laid siege to"]
"""
    + DROPPED_RULE
)
# The good edit adds a rule and deletes one; the broken edit refers to a lexicon that does not exist.
ADDED_RULE = """\
  - id: attack.artillery_phrase
    event: attack
    description: Added by the reload
    phrases: ["artillery fire"]
"""
RULES_EDITED = RULES.replace(DROPPED_RULE, "") + ADDED_RULE
RULES_BROKEN = RULES_EDITED.replace("{IN: $attack_verbs}", "{IN: $no_such_lexicon}")
ALL_RULES = {
    "attack.subject_verb_object": "attack",
    "casualty.count_passive": "casualty",
    "siege.laid_siege": "siege",
    "attack.artillery_phrase": "attack",
}
NEVER_FIRES = "siege.laid_siege"
BACKGROUND_TEXT = "Russian forces bombarded the outskirts of Kyiv. Two civilians were killed."


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        message = f"{name} not found: install the Debian package `prometheus`"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


# --- the Prometheus HTTP API ---------------------------------------------------------------------


class PromQLError(AssertionError):
    pass


@dataclass
class Prometheus:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def get(self, path: str, **params: str) -> Any:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        try:
            with urllib.request.urlopen(f"{self.url}{path}{query}", timeout=10) as reply:
                body = json.load(reply)
        except urllib.error.HTTPError as error:  # 400 bad_data: a parse error, 422: an execution error
            body = json.load(error)
            raise PromQLError(f"{body.get('errorType')}: {body.get('error')}") from None
        assert body["status"] == "success", body
        return body["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        """The instant result as a list of {metric, value}; a scalar becomes one unlabelled sample."""
        data = self.get("/api/v1/query", query=expr)
        if data["resultType"] == "scalar":
            return [{"metric": {}, "value": data["result"]}]
        assert data["resultType"] == "vector", data
        result: list[dict[str, Any]] = data["result"]
        return result

    def value(self, expr: str) -> float:
        result = self.query(expr)
        assert len(result) == 1, f"{expr}: expected one series, got {result}"
        return float(result[0]["value"][1])

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def _finite(result: list[dict[str, Any]]) -> bool:
    return any(math.isfinite(float(sample["value"][1])) for sample in result)


@contextlib.contextmanager
def run_prometheus(metrics_port: int, workdir: Path) -> Iterator[Prometheus]:
    """A real Prometheus scraping 127.0.0.1:<metrics_port> every second, with the alert rules."""
    binary = _tool("prometheus")
    port = free_port()
    config = {
        "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(ALERTS)],
        "scrape_configs": [{"job_name": "sitrep", "static_configs": [{"targets": [f"127.0.0.1:{metrics_port}"]}]}],
    }
    config_path = workdir / "prometheus.yml"
    config_path.write_text(yaml.safe_dump(config), encoding="utf-8")
    log_path = workdir / "prometheus.log"
    cmd = [
        binary, f"--config.file={config_path}", f"--storage.tsdb.path={workdir / 'tsdb'}",
        f"--web.listen-address=127.0.0.1:{port}", "--storage.tsdb.retention.time=1h",
        "--log.level=warn",
    ]  # fmt: skip
    with open(log_path, "wb") as log:
        process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    prometheus = Prometheus(f"http://127.0.0.1:{port}", process, log_path)
    try:
        deadline = time.time() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"prometheus exited with {process.returncode}:\n{prometheus.log()}")
            try:
                with urllib.request.urlopen(f"{prometheus.url}/-/ready", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError):
                pass
            if time.time() > deadline:
                raise TimeoutError(f"prometheus not ready after 30 s:\n{prometheus.log()}")
            time.sleep(0.2)
        yield prometheus
    finally:
        terminate(process, timeout=15)


# --- traffic -------------------------------------------------------------------------------------


@dataclass
class Traffic:
    """What the traffic phase saw, for the tests to compare with the metrics."""

    failed_code: grpc.StatusCode | None = None
    unauthenticated_code: grpc.StatusCode | None = None
    stream_messages: int = 0
    reloads: list[pb.ReloadRulesResponse] = field(default_factory=list)
    ended_at: float = 0.0


def _doc(doc_id: str, text: str) -> pb.Document:
    return pb.Document(id=doc_id, text=text)


def send_traffic(server: RunningServer, rules_file: Path) -> Traffic:
    seen = Traffic()
    utf16 = pb.OFFSET_ENCODING_UTF16
    seed = SEED.read_text(encoding="utf-8")
    with server.channel() as channel:
        stub = pb_grpc.ExtractionServiceStub(channel)
        for i in range(2):
            reply = stub.Extract(pb.ExtractRequest(document=_doc(f"seed-{i}", seed), offset_encoding=utf16), timeout=30)
            assert reply.events, "the seed gave no events: the rule pack or the model changed"
        try:
            stub.Extract(pb.ExtractRequest(document=_doc("empty", "")), timeout=30)
        except grpc.RpcError as error:
            seen.failed_code = error.code()
        batch = [_doc(f"b{i}", text) for i, text in enumerate([seed, BACKGROUND_TEXT, "Nothing happened today."])]
        stub.BatchExtract(pb.BatchExtractRequest(documents=batch, offset_encoding=utf16), timeout=30)
        requests = [pb.StreamExtractRequest(document=_doc(f"s{i}", BACKGROUND_TEXT)) for i in range(3)]
        seen.stream_messages = sum(1 for _ in stub.StreamExtract(iter(requests), timeout=30))
        stub.GetRuleSet(pb.GetRuleSetRequest(), timeout=30)
        try:
            stub.ReloadRules(pb.ReloadRulesRequest(), metadata=(("authorization", "Bearer wrong"),), timeout=30)
        except grpc.RpcError as error:
            seen.unauthenticated_code = error.code()
        # Reloads: a good edit, a broken edit (refused, the edited set keeps serving), the restore.
        for content in (RULES_EDITED, RULES_BROKEN, RULES_EDITED):
            rules_file.write_text(content, encoding="utf-8")
            seen.reloads.append(stub.ReloadRules(pb.ReloadRulesRequest(), metadata=ADMIN, timeout=120))
        stub.Extract(pb.ExtractRequest(document=_doc("after", seed), offset_encoding=utf16), timeout=30)
    seen.ended_at = time.time()
    return seen


def background_traffic(server: RunningServer, stop: threading.Event, limit: float = 90.0) -> None:
    """Extract and GetRuleSet every half second until stopped (or `limit` seconds), so rates over
    short windows stay non-zero while the test queries."""
    deadline = time.time() + limit
    with server.channel() as channel:
        stub = pb_grpc.ExtractionServiceStub(channel)
        while not stop.is_set() and time.time() < deadline:
            try:
                stub.Extract(pb.ExtractRequest(document=_doc("bg", BACKGROUND_TEXT)), timeout=10)
                stub.GetRuleSet(pb.GetRuleSetRequest(), timeout=10)
            except grpc.RpcError:
                pass  # the tests see any error in the metrics; the thread must not die
            stop.wait(0.5)


# --- the fixture ---------------------------------------------------------------------------------


@dataclass
class Live:
    server: RunningServer
    prometheus: Prometheus
    traffic: Traffic
    ready_at: float = field(default_factory=time.time)

    def wait_for(self, expr: str) -> list[dict[str, Any]]:
        """Query until the result has a finite value, then return it; past the module's shared
        patience (QUERY_PATIENCE after the fixture was ready) one more second, then the last result."""
        deadline = max(self.ready_at + QUERY_PATIENCE, time.time() + 1.0)
        while True:
            result = self.prometheus.query(expr)
            if _finite(result) or time.time() > deadline:
                return result
            time.sleep(0.5)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    _tool("prometheus")
    rules = tmp_path_factory.mktemp("live-rules")
    rules_file = rules / "pack.yaml"
    rules_file.write_text(RULES, encoding="utf-8")
    logs = tmp_path_factory.mktemp("live-logs")
    flags = ("--enable-admin", "--admin-token", TOKEN, "--no-watch", "--poll-interval", "0")
    with run_server(rules, *flags, log_dir=logs) as server, run_prometheus(server.metrics_port, logs) as prometheus:
        started = time.time()
        # Let Prometheus see every pre-initialised series at its start value before the traffic,
        # so that increase()/rate() count the traffic's first increments.
        while not prometheus.query('count_over_time(up{job="sitrep"}[1m]) >= 2'):
            if time.time() > started + 30:
                raise TimeoutError(f"prometheus did not scrape the server:\n{prometheus.log()}")
            time.sleep(0.2)
        stop = threading.Event()
        background = threading.Thread(target=background_traffic, args=(server, stop), daemon=True)
        background.start()
        try:
            traffic = send_traffic(server, rules_file)
            # Enough scrapes overall for the short windows, and a few after the last call.
            deadline = started + 60
            while True:
                scrapes = prometheus.query('count_over_time(up{job="sitrep"}[1m])')
                latest = prometheus.query('timestamp(up{job="sitrep"})')
                count = int(float(scrapes[0]["value"][1])) if scrapes else 0
                last = float(latest[0]["value"][1]) if latest else 0.0
                if count >= MIN_SCRAPES and last >= traffic.ended_at + SCRAPES_AFTER_TRAFFIC:
                    break
                if time.time() > deadline:
                    raise TimeoutError(f"{count} scrapes after 60 s:\n{prometheus.log()}")
                time.sleep(0.5)
            yield Live(server, prometheus, traffic)
        finally:
            stop.set()
            background.join(timeout=15)


# --- the expressions -----------------------------------------------------------------------------


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _dashboard_cases() -> list[Any]:
    """(title, short-window expr, default-window expr) for every target of every panel."""
    defaults = dashboard_exprs(DASHBOARD)
    short = [
        (panel.get("title", ""), substitute(target["expr"], SHORT_WINDOWS))
        for panel in iter_panels(load_dashboard(DASHBOARD))
        for target in panel.get("targets", [])
        if target.get("expr", "").strip()
    ]
    assert [title for title, _ in short] == [title for title, _ in defaults]
    return [
        pytest.param(title, expr, default, id=f"{i:02d}-{_slug(title)}")
        for i, ((title, expr), (_, default)) in enumerate(zip(short, defaults, strict=True))
    ]


def _alert_cases() -> list[Any]:
    return [pytest.param(name, expr, id=name) for name, expr in alert_exprs(ALERTS)]


def _describe(result: list[dict[str, Any]]) -> str:
    return json.dumps(result[:10])


@pytest.mark.parametrize(("title", "expr", "default_expr"), _dashboard_cases())
def test_dashboard_panel_returns_data(live: Live, title: str, expr: str, default_expr: str) -> None:
    for query in (expr, default_expr):
        try:
            result = live.wait_for(query)
        except PromQLError as error:
            pytest.fail(f"panel {title!r}: Prometheus refused the expression ({error}):\n{query}")
        assert result, f"panel {title!r} returns no data:\n{query}"
        assert _finite(result), f"panel {title!r} returns only NaN/Inf: {_describe(result)}\n{query}"


@pytest.mark.parametrize(("name", "expr"), _alert_cases())
def test_alert_expression_returns_data(live: Live, name: str, expr: str) -> None:
    lhs = strip_threshold(expr)
    try:
        live.prometheus.query(expr)  # the full expression parses and runs (it may well be empty)
        result = live.wait_for(lhs)
    except PromQLError as error:
        pytest.fail(f"alert {name}: Prometheus refused the expression ({error}):\n{expr}")
    assert result, f"alert {name}: the left-hand side returns no data:\n{lhs}"
    assert _finite(result), f"alert {name}: the left-hand side is only NaN/Inf: {_describe(result)}\n{lhs}"


def test_alert_rules_load_and_evaluate(live: Live) -> None:
    """Prometheus loaded every alert of the rules file and evaluates each without error."""
    groups = live.prometheus.get("/api/v1/rules")["groups"]
    rules = [rule for group in groups for rule in group["rules"]]
    assert sorted(rule["name"] for rule in rules) == sorted(name for name, _ in alert_exprs(ALERTS))
    for rule in rules:
        assert rule["health"] == "ok", f"{rule['name']}: {rule.get('lastError')}"
        assert not rule["lastEvaluation"].startswith("0001-"), f"{rule['name']} was never evaluated"


# --- the exposition and the metric semantics -----------------------------------------------------


def test_promtool_check_metrics(live: Live) -> None:
    with urllib.request.urlopen(f"http://127.0.0.1:{live.server.metrics_port}/metrics", timeout=10) as reply:
        exposition = reply.read()
    done = subprocess.run([_tool("promtool"), "check", "metrics"], input=exposition, capture_output=True, timeout=60)
    report = (done.stdout + done.stderr).decode(errors="replace")
    assert done.returncode == 0, f"promtool check metrics:\n{report}"
    assert report.strip() == "", f"promtool check metrics printed:\n{report}"


def test_every_rpc_is_counted(live: Live) -> None:
    prom = live.prometheus
    for method, kind in [
        ("Extract", "unary"), ("BatchExtract", "unary"), ("StreamExtract", "bidi_stream"),
        ("GetRuleSet", "unary"), ("ReloadRules", "unary"),
    ]:  # fmt: skip
        labels = f'grpc_service="{SERVICE}", grpc_method="{method}", grpc_type="{kind}"'
        assert prom.value(f"sum(grpc_server_started_total{{{labels}}})") >= 1, method
        assert prom.value(f'sum(grpc_server_handled_total{{{labels}, grpc_code="OK"}})') >= 1, method
        assert prom.value(f"sum(grpc_server_handling_seconds_count{{{labels}}})") >= 1, method
    stream = f'grpc_service="{SERVICE}", grpc_method="StreamExtract"'
    assert prom.value(f"grpc_server_msg_received_total{{{stream}}}") == live.traffic.stream_messages == 3
    assert prom.value(f"grpc_server_msg_sent_total{{{stream}}}") == 3


def test_failed_calls_are_counted_by_code(live: Live) -> None:
    assert live.traffic.failed_code == grpc.StatusCode.INVALID_ARGUMENT
    assert live.traffic.unauthenticated_code == grpc.StatusCode.UNAUTHENTICATED
    prom = live.prometheus
    assert prom.value('grpc_server_handled_total{grpc_code="INVALID_ARGUMENT", grpc_method="Extract"}') >= 1
    assert prom.value('grpc_server_handled_total{grpc_code="UNAUTHENTICATED", grpc_method="ReloadRules"}') >= 1
    # Every started call finished with some code (none in flight now but the background's).
    started = prom.value(f'sum(grpc_server_started_total{{grpc_service="{SERVICE}"}})')
    handled = prom.value(f'sum(grpc_server_handled_total{{grpc_service="{SERVICE}"}})')
    assert 0 <= started - handled <= 1


def test_rule_hits_has_a_series_for_every_rule(live: Live) -> None:
    result = live.prometheus.query("sitrep_rule_hits_total")
    series = {s["metric"]["rule_id"]: (s["metric"]["event_type"], float(s["value"][1])) for s in result}
    assert {rule: event for rule, (event, _) in series.items()} == ALL_RULES  # the deleted rule is gone
    assert series[NEVER_FIRES][1] == 0
    assert series["attack.subject_verb_object"][1] >= 3
    assert series["casualty.count_passive"][1] >= 1
    suppressed = {s["metric"]["rule_id"] for s in live.prometheus.query("sitrep_rule_suppressed_total")}
    assert suppressed == set(ALL_RULES)


def test_reload_outcomes_are_counted(live: Live) -> None:
    edited, broken, restored = live.traffic.reloads
    assert edited.status.success and edited.changed
    assert not broken.status.success and not broken.changed and broken.status.errors
    assert broken.version == edited.version  # the refused edit left the edited set serving
    assert restored.status.success and restored.version == edited.version
    prom = live.prometheus
    assert prom.value('sitrep_rules_reload_total{result="failure"}') >= 1
    assert prom.value('sitrep_rules_reload_total{result="success"}') >= 3  # start, edit, restore
    assert prom.value("sitrep_rules_last_reload_success") == 1
    assert prom.value("sitrep_rules_loaded") == len(ALL_RULES)
    # What the "Reload failures" panel shows: the refused edit within the last minute.
    assert prom.value('increase(sitrep_rules_reload_total{result="failure"}[1m])') >= 1
    info = prom.query("sitrep_rule_set_info == 1")
    assert [s["metric"]["version"] for s in info] == [restored.version]


def test_first_error_of_a_code_shows_in_increase(live: Live) -> None:
    """The one INVALID_ARGUMENT of the traffic shows in the error-ratio panels' increase/rate:
    every method x code series exists at 0 before the first call, as in go-grpc-prometheus."""
    query = 'sum(increase(grpc_server_handled_total{grpc_code="INVALID_ARGUMENT", grpc_method="Extract"}[1m]))'
    assert live.prometheus.value(query) >= 1


def test_every_method_and_code_is_initialised(live: Live) -> None:
    codes = {code.name for code in grpc.StatusCode}
    result = live.prometheus.query(f'grpc_server_handled_total{{grpc_service="{SERVICE}"}}')
    seen = {(s["metric"]["grpc_method"], s["metric"]["grpc_code"]) for s in result}
    methods = {"Extract", "BatchExtract", "StreamExtract", "GetRuleSet", "ReloadRules", "Explain"}
    assert seen == {(method, code) for method in methods for code in codes}
    never_failed = f'grpc_server_handled_total{{grpc_service="{SERVICE}", grpc_code="DATA_LOSS"}}'
    assert [float(s["value"][1]) for s in live.prometheus.query(never_failed)] == [0.0] * len(methods)
