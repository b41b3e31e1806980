"""Hardening (issue 15) against real server processes: hostile rule files, idle streams, hung and
killed workers, oversized error details, pathological text, temp files; and a property test of
the loader over generated YAML structures (no model).

Three servers: `live` (a small pack in a temp dir, reloads, streams, errors), `faults` (the
shipped pack, one worker, short call limit: killed, stopped and overrunning workers) and one that
starts with a broken pack.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spacy.matcher import DependencyMatcher

from service.engine.compiled import compile_rules
from service.engine.matching import normalise_proper_lemmas
from service.engine.pipeline import DEFAULT_MODEL, load_pipeline
from service.engine.regex import bound_pattern
from service.proto.sitrep.v1 import extraction_pb2 as pb
from service.proto.sitrep.v1 import extraction_pb2_grpc as pbg
from service.rules.errors import RuleSetError
from service.rules.loader import Snapshot, load_rules, load_snapshot
from tests.server import BASIC_RULES, ROOT, RunningServer, run_server

TOKEN = "hardening-token"
SERVICE = "sitrep.v1.ExtractionService"
QUICK = "Rebel gunners shelled the village of Varnok."
EXTRA_RULE = """version: 1
rules:
  - id: attack.extra_raid
    event: attack
    pattern:
      - {LOWER: raided, as: trigger}
"""
EXPONENTIAL = """version: 1
rules:
  - id: attack.exponential
    event: attack
    dependency:
      - {RIGHT_ID: trigger, RIGHT_ATTRS: {LEMMA: shell}}
""" + "".join(f"      - {{LEFT_ID: trigger, REL_OP: '>>', RIGHT_ID: _n{i}, RIGHT_ATTRS: {{}}}}\n" for i in range(5))
ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n" for i in range(8)
)


def labelled(server: RunningServer, sample: str) -> float:
    """The value of one labelled sample, e.g. `sitrep_rules_reload_total{result="failure"}`."""
    with urllib.request.urlopen(f"http://127.0.0.1:{server.metrics_port}/metrics", timeout=10) as reply:
        for line in reply.read().decode().splitlines():
            if line.startswith(sample + " "):
                return float(line.split()[1])
    raise KeyError(sample)


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> float:
    t0 = time.time()
    while not check():
        if time.time() - t0 > timeout:
            raise AssertionError(f"{what}: not within {timeout}s")
        time.sleep(0.1)
    return time.time() - t0


def health(server: RunningServer) -> int:
    with server.channel() as channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=SERVICE), timeout=2)
        except grpc.RpcError:
            return -1
        return int(reply.status)


def quick(server: RunningServer, timeout: float = 30) -> pb.ExtractResponse:
    with server.channel() as channel:
        request = pb.ExtractRequest(document=pb.Document(id="q", text=QUICK))
        reply: pb.ExtractResponse = pbg.ExtractionServiceStub(channel).Extract(request, timeout=timeout)
        return reply


def leftovers(tmp: Path) -> list[str]:
    return sorted(p.name for p in tmp.glob("sitrep-*") if p.is_dir())


# -- the live server: a small pack it reloads every half second ----------------------------------


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningServer, Path, Path]]:
    rules = tmp_path_factory.mktemp("pack") / "rules"
    rules.mkdir()
    (rules / "basic.yaml").write_text(BASIC_RULES, encoding="utf-8")
    tmp = tmp_path_factory.mktemp("tmp")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TMPDIR", str(tmp))  # the server's temp dirs land here, to be counted
        with run_server(
            rules, "--poll-interval", "0.5", "--no-watch", "--max-concurrent-rpcs", "4",
            "--max-rpcs-per-peer", "2", "--stream-idle-timeout", "3", "--enable-admin",
            "--admin-token", TOKEN, log_dir=tmp_path_factory.mktemp("logs"),
        ) as running:  # fmt: skip
            yield running, rules, tmp


def rule_set(server: RunningServer) -> pb.GetRuleSetResponse:
    with server.channel() as channel:
        reply: pb.GetRuleSetResponse = pbg.ExtractionServiceStub(channel).GetRuleSet(pb.GetRuleSetRequest(), timeout=10)
        return reply


def force_reload(server: RunningServer) -> pb.ReloadRulesResponse:
    with server.channel() as channel:
        reply: pb.ReloadRulesResponse = pbg.ExtractionServiceStub(channel).ReloadRules(
            pb.ReloadRulesRequest(), metadata=[("authorization", f"Bearer {TOKEN}")], timeout=60
        )
        return reply


FAILURES = 'sitrep_rules_reload_total{result="failure"}'


def test_non_utf8_name_is_reported_and_the_rest_still_loads(live: tuple[RunningServer, Path, Path]) -> None:
    server, rules, _ = live
    failures = labelled(server, FAILURES)
    bad = os.fsencode(rules) + b"/caf\xe9.yaml"
    with open(bad, "wb") as f:
        f.write(b"version: 1\n")
    (rules / "extra.yaml").write_text(EXTRA_RULE, encoding="utf-8")
    try:
        wait_for(lambda: "attack.extra_raid" in {r.id for r in rule_set(server).rules}, 15, "valid rule loaded")
        status = rule_set(server).last_reload
        assert not status.success and any("[R115]" in e and "caf" in e for e in status.errors), status
        assert labelled(server, FAILURES) > failures
        assert server.metric("sitrep_rules_last_reload_success") == 0
    finally:
        os.unlink(bad)
        (rules / "extra.yaml").unlink()
    wait_for(lambda: rule_set(server).last_reload.success, 15, "recovered after the rename")
    assert "attack.extra_raid" not in {r.id for r in rule_set(server).rules}


@pytest.mark.parametrize(
    ("name", "write", "code"),
    [
        ("deep.yaml", lambda p: p.write_text("version: 1\nrules: " + "[" * 1000 + "]" * 1000), "[R108]"),
        ("bomb.yaml", lambda p: p.write_text(ALIAS_BOMB), "[R107]"),
        ("loop.yaml", lambda p: p.symlink_to(p.name), "[R105]"),
        ("secret.yaml", lambda p: p.symlink_to(p.parent.parent / "secret.txt"), "[R109]"),
        ("expo.yaml", lambda p: p.write_text(EXPONENTIAL), "[R213]"),
        ("big.yaml", lambda p: p.write_text("x: '" + "a" * (3 << 20) + "'\n"), "[R106]"),
        (
            "lexicon.yaml",
            lambda p: p.write_text("version: 1\nlexicons:\n  huge: [" + ", ".join(["w"] * 20_001) + "]\n"),
            "[R211]",
        ),
    ],
)
def test_hostile_rule_file_is_a_refused_counted_reload(
    live: tuple[RunningServer, Path, Path], name: str, write: Callable[[Path], None], code: str
) -> None:
    server, rules, _ = live
    (rules.parent / "secret.txt").write_text("version: 1\napi_password_key: hunter2\n")
    serving = rule_set(server).version
    failures = labelled(server, FAILURES)
    path = rules / name
    write(path)
    try:
        t0 = time.time()
        status = force_reload(server).status
        assert time.time() - t0 < 10, "a hostile file must be refused within 10 s"
        assert not status.success
        assert any(code in e and name in e for e in status.errors), status.errors
        assert "hunter2" not in str(status) and "api_password_key" not in str(status)
        assert rule_set(server).version == serving
        # the forced reload is counted; the half-second poll may also have seen the file (even
        # half written) and count its own refusal, but a refused pack is not retried unchanged
        counted = labelled(server, FAILURES)
        assert counted >= failures + 1
        time.sleep(1.5)
        assert labelled(server, FAILURES) == counted, "an unchanged refused pack was tried again"
        assert "Traceback" not in server.log()
        assert quick(server).rule_set_version == serving  # still serving the old pack
    finally:
        path.unlink()
    assert force_reload(server).status.success


def test_idle_streams_do_not_lock_other_clients_out(live: tuple[RunningServer, Path, Path]) -> None:
    server, _, _ = live
    release = threading.Event()
    codes: list[grpc.StatusCode] = []

    def idle_stream() -> None:
        def never() -> Iterator[pb.StreamExtractRequest]:
            release.wait(30)
            yield from ()

        with server.channel() as channel:
            try:
                list(pbg.ExtractionServiceStub(channel).StreamExtract(never(), timeout=30))
                codes.append(grpc.StatusCode.OK)
            except grpc.RpcError as exc:
                codes.append(exc.code())

    threads = [threading.Thread(target=idle_stream) for _ in range(4)]  # as many as the limit
    for thread in threads:
        thread.start()
    time.sleep(1)
    try:
        assert quick(server, timeout=15).rule_set_version
    finally:
        t0 = time.time()
        for thread in threads:
            thread.join(20)
        release.set()
    assert codes == [grpc.StatusCode.DEADLINE_EXCEEDED] * 4  # closed by the 3 s idle timeout
    assert time.time() - t0 < 10


def test_one_peer_cannot_take_every_slot(live: tuple[RunningServer, Path, Path]) -> None:
    server, _, _ = live
    text = (ROOT / "seeds" / "ukraine-2022-03-30.txt").read_text(encoding="utf-8")
    request = pb.BatchExtractRequest(documents=[pb.Document(id=f"d{i}", text=text) for i in range(16)])
    with server.channel() as channel:
        stub = pbg.ExtractionServiceStub(channel)
        calls = [stub.BatchExtract.future(request, timeout=60) for _ in range(3)]
        refused = []
        for call in calls:
            try:
                call.result()
            except grpc.RpcError as exc:
                refused.append((exc.code(), exc.details()))
    assert len(refused) == 1 and refused[0][0] == grpc.StatusCode.RESOURCE_EXHAUSTED, refused
    assert refused[0][1].startswith("[S207]")


@pytest.mark.parametrize(
    "request_",
    [
        pb.BatchExtractRequest(documents=[pb.Document(id="x" * 9000, text="a"), pb.Document(id="x" * 9000, text="b")]),
        pb.BatchExtractRequest(documents=[pb.Document(id="a", text="a")], event_types=list(range(100, 1100))),
    ],
    ids=["long-duplicate-ids", "1000-bad-event-types"],
)
def test_error_details_always_fit(live: tuple[RunningServer, Path, Path], request_: pb.BatchExtractRequest) -> None:
    server, _, _ = live
    with server.channel() as channel, pytest.raises(grpc.RpcError) as info:
        pbg.ExtractionServiceStub(channel).BatchExtract(request_, timeout=10)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    status = rpc_status.from_call(info.value)  # type: ignore[arg-type]
    assert status is not None
    detail = error_details_pb2.BadRequest()
    status.details[0].Unpack(detail)
    assert 1 <= len(detail.field_violations) <= 16
    assert all(len(v.description) <= 256 for v in detail.field_violations)


def test_temp_dirs_are_pruned_and_removed(live: tuple[RunningServer, Path, Path], tmp_path: Path) -> None:
    """Old specs are pruned; a server stopped by SIGTERM exits 0 and leaves no temp dir, even
    with its only worker stopped (SIGSTOP: the pool used to wait for it forever)."""
    _, _, tmp = live
    specs = [p for d in tmp.glob("sitrep-rules-*") for p in d.glob("*.pickle")]
    assert 1 <= len(specs) <= 8, specs  # earlier tests published a dozen versions
    own_tmp = tmp_path / "tmp"
    own_tmp.mkdir()
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "basic.yaml").write_text(BASIC_RULES, encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TMPDIR", str(own_tmp))
        with run_server(rules, "--grace-period", "1", log_dir=tmp_path) as own:
            assert leftovers(own_tmp)
            (pid,) = own.worker_pids()
            os.kill(pid, signal.SIGSTOP)
            own.process.send_signal(signal.SIGTERM)
            t0 = time.time()
            assert own.process.wait(30) == 0
            assert time.time() - t0 < 15
    assert not Path(f"/proc/{pid}").exists() or b") Z" in Path(f"/proc/{pid}/stat").read_bytes()
    assert leftovers(own_tmp) == []


def test_start_with_a_bad_pack_stays_up_and_recovers(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "basic.yaml").write_text(BASIC_RULES, encoding="utf-8")
    (rules / "deep.yaml").write_text("version: 1\nrules: " + "[" * 1000 + "]" * 1000)
    with run_server(rules, "--poll-interval", "0.5", log_dir=tmp_path, wait=False) as server:
        wait_for(lambda: "health: NOT_SERVING" in server.log(), 60, "started NOT_SERVING")
        time.sleep(1)
        assert server.process.poll() is None and health(server) == health_pb2.HealthCheckResponse.NOT_SERVING
        assert any("[R108]" in e for e in rule_set(server).last_reload.errors)
        (rules / "deep.yaml").unlink()
        wait_for(lambda: health(server) == health_pb2.HealthCheckResponse.SERVING, 30, "SERVING once fixed")
        assert quick(server).rule_set_version


def test_jsonl_with_a_malformed_line(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text(
        '{"id": "a", "text": "Rebel gunners shelled Varnok."}\n{"id": broken\n{"id": "c"}\n'
        '{"id": "d", "text": "Militia fighters bombed the Ostrel depot."}\n'
    )
    cmd = [sys.executable, "-m", "service.cli", "extract", "--rules", str(ROOT / "tests/data/rules"), str(path)]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 1
    assert [line[:20] for line in done.stdout.splitlines()] == ['{"document_id": "a",', '{"document_id": "d",']
    assert f"{path}:2: " in done.stderr and f"{path}:3: " in done.stderr and "Traceback" not in done.stderr


# -- faults: the shipped pack, one worker --------------------------------------------------------


@pytest.fixture(scope="module")
def faults(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with run_server(
        ROOT / "rules", "--max-call-seconds", "4", "--grace-period", "2", "--no-watch", "--poll-interval", "0",
        log_dir=tmp_path_factory.mktemp("logs"),
    ) as running:  # fmt: skip
        yield running


def test_long_sentence_is_answered(faults: RunningServer) -> None:
    """A 5,000-word sentence (spaCy's dependency matcher needed minutes: a quadratic root search)
    and a 40,000-character run of punctuation (spaCy's tokenizer: about 7 minutes)."""
    texts = ["war " * 5000, "!?" * 20000]
    with faults.channel() as channel:
        t0 = time.time()
        reply = pbg.ExtractionServiceStub(channel).BatchExtract(
            pb.BatchExtractRequest(documents=[pb.Document(id=str(i), text=t) for i, t in enumerate(texts)]),
            timeout=60,
        )
    assert [r.document_id for r in reply.results] == ["0", "1"]
    assert time.time() - t0 < 40


def test_a_worker_past_its_deadline_is_replaced(faults: RunningServer) -> None:
    """One document that outlasts its deadline cannot hold the worker: it is killed and replaced."""
    worker = faults.worker_pids()
    with faults.channel() as channel, pytest.raises(grpc.RpcError) as info:
        pbg.ExtractionServiceStub(channel).Extract(
            pb.ExtractRequest(document=pb.Document(id="w", text="war " * 50000)), timeout=1
        )
    assert info.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    t0 = time.time()
    wait_for(lambda: quick_ok(faults), 30, "a normal request served again")
    assert time.time() - t0 < 20
    assert faults.worker_pids() != worker
    assert labelled(faults, 'sitrep_worker_deaths_total{reason="overran"}') >= 1


def quick_ok(server: RunningServer) -> bool:
    try:
        return bool(quick(server, timeout=5).rule_set_version)
    except grpc.RpcError:
        return False


def test_a_killed_idle_worker_is_logged_and_replaced(faults: RunningServer) -> None:
    wait_for(lambda: quick_ok(faults), 30, "serving")
    (pid,) = faults.worker_pids()
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: f"worker {pid} died (signal SIGKILL)" in faults.log(), 5, "death logged")
    wait_for(lambda: health(faults) == health_pb2.HealthCheckResponse.SERVING, 30, "new worker up")
    assert quick(faults, timeout=10).rule_set_version  # not UNAVAILABLE: replaced before the call
    assert labelled(faults, 'sitrep_worker_deaths_total{reason="died"}') >= 1


def test_a_stopped_worker_is_noticed_and_replaced(faults: RunningServer) -> None:
    wait_for(lambda: quick_ok(faults), 30, "serving")
    (pid,) = faults.worker_pids()
    os.kill(pid, signal.SIGSTOP)
    try:
        t0 = time.time()
        with faults.channel() as channel, pytest.raises(grpc.RpcError) as info:
            pbg.ExtractionServiceStub(channel).Extract(pb.ExtractRequest(document=pb.Document(id="q", text=QUICK)))
        assert info.value.code() in {grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.UNAVAILABLE}
        assert time.time() - t0 < 15  # --max-call-seconds 4 for a call without a deadline
    finally:
        os.kill(pid, signal.SIGCONT) if Path(f"/proc/{pid}").exists() else None
    wait_for(lambda: quick_ok(faults), 30, "served by a new worker")
    assert pid not in faults.worker_pids()


def test_bounded_matcher_finds_what_spacy_finds() -> None:
    """The shipped pack's dependency rules find the same matches, in the same order, with
    spaCy's DependencyMatcher and with ours (invented sentences of every event type)."""
    nlp = load_pipeline(DEFAULT_MODEL)
    compiled = compile_rules(load_rules(ROOT / "rules"), nlp)
    reference = DependencyMatcher(nlp.vocab, validate=False)
    for key, rule in compiled.rules.items():  # every variant of a rule with OPTIONAL nodes has its key
        if rule.kind == "dependency":
            reference.add(nlp.vocab.strings[key], [bound_pattern(list(rule.pattern), dependency=True)])
    texts = [
        "Rebel gunners shelled the village of Varnok on Monday, and two farmers were killed by the blasts.",
        "The militia was accused of bombing the Ostrel depot, which the army said was carried out by drones.",
        "Three soldiers died and 14 civilians were wounded when a car bomb exploded near the Kessin market.",
        "Government troops have besieged the northern town of Dravo since March, the mayor told reporters.",
        '"We will not surrender," the commander said, adding that the siege had cut off water to the city.',
        "Police said the gunman, who was later shot dead by officers, had attacked a bus carrying pilgrims.",
    ]
    docs = list(nlp.pipe(texts, disable=list(compiled.plan.disabled)))
    found = 0
    for doc in docs:
        normalise_proper_lemmas(doc)
        expected = [(key, list(match)) for key, match in reference(doc)]
        assert [(key, list(match)) for key, match in compiled.dependency(doc)] == expected
        found += len(expected)
    assert found >= 5  # the sentences exercise the pack


# -- the loader over generated YAML (no model) ---------------------------------------------------

leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=6))
tree = st.recursive(
    leaf,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)),
    max_leaves=40,
)


def _yaml(node: object, anchors: list[str]) -> str:
    """Flow-style YAML of `node`; anchors and aliases are sprinkled in by the `anchors` list."""
    if isinstance(node, list):
        return "[" + ", ".join(_yaml(item, anchors) for item in node) + "]"
    if isinstance(node, dict):
        return "{" + ", ".join(f"{_scalar(k)}: {_yaml(v, anchors)}" for k, v in node.items()) + "}"
    if anchors and anchors[-1] == "alias":
        anchors.pop()
        return "*a"
    return _scalar(node)


def _scalar(value: object) -> str:
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"' if isinstance(value, str) else str(value)


@settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=tree,
    rules=st.lists(tree, max_size=3),
    alias=st.booleans(),
    depth=st.integers(0, 120),
    junk=st.sampled_from(["", "\t", "&a", "*b", "!!python/object:os.system []", "\x00", "- -"]),
)
def test_loader_never_crashes_on_generated_yaml(
    body: object, rules: list[object], alias: bool, depth: int, junk: str
) -> None:
    anchored = "version: 1\nbase: &a " + _yaml(body, []) + "\n"
    text = anchored + "rules: " + "[" * depth + _yaml(rules, ["alias"] if alias else []) + "]" * depth + "\n" + junk
    t0 = time.perf_counter()
    try:
        load_snapshot(Snapshot("r", (("gen.yaml", text.encode("utf-8", "surrogatepass")),)))
    except RuleSetError as exc:
        assert all(str(e).startswith("r/gen.yaml:") for e in exc.errors)
    assert time.perf_counter() - t0 < 2.0


def test_loader_refuses_hostile_structures_fast() -> None:
    for text, code in [
        (ALIAS_BOMB, "[R107]"),
        ("version: 1\nrules: " + "[" * 5000 + "]" * 5000, "[R108]"),
        (EXPONENTIAL, "[R213]"),
    ]:
        t0 = time.perf_counter()
        with pytest.raises(RuleSetError) as info:
            load_snapshot(Snapshot("r", (("x.yaml", text.encode()),)))
        assert time.perf_counter() - t0 < 2.0
        assert any(code in str(e) for e in info.value.errors), info.value
    assert "_n0, _n1, _n2, _n3, _n4" in str(info.value)
