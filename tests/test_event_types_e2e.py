"""Acceptance: a `displacement` type with roles `displaced` and `origin`, declared in one YAML file
beside the shipped rules (no code or proto change), works end to end: `sitrep check`, `sitrep test`
and `sitrep extract` accept and use it; the real server's Extract returns the event with its label
and both roles, filters by the label, lists the type in GetRuleSet, and counts it in
`sitrep_events_emitted_total{event_type="displacement"}`; `sitrep eval` scores gold that uses the label."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from service.proto.sitrep.v1 import extraction_pb2 as pb
from service.proto.sitrep.v1 import extraction_pb2_grpc as pbg
from tests.server import ROOT, RunningServer, run_server

DISPLACEMENT = """\
version: 1
event_types:
  - name: displacement
    roles: [displaced, origin]
rules:
  - id: displacement.fled_from
    event: displacement
    description: People leaving a place under threat ("N families fled from X").
    dependency:
      - {RIGHT_ID: _verb, RIGHT_ATTRS: {LEMMA: {IN: [flee, escape, evacuate]}}}
      - {LEFT_ID: _verb, REL_OP: ">", RIGHT_ID: displaced, RIGHT_ATTRS: {DEP: nsubj}}
      - {LEFT_ID: _verb, REL_OP: ">", RIGHT_ID: _from, RIGHT_ATTRS: {LOWER: from}}
      - {LEFT_ID: _from, REL_OP: ">", RIGHT_ID: origin, RIGHT_ATTRS: {DEP: pobj}}
    examples:
      - text: Hundreds of families fled from Norvale after the floods.
        expect: [{displaced: Hundreds of families, origin: Norvale}]
      - text: The prisoners escaped.
        expect: []
"""
TEXT = "Thousands of villagers fled from Karsk overnight. Artillery shelled the bridge on Monday."


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("pack") / "rules"
    shutil.copytree(ROOT / "rules", target)
    (target / "displacement.yaml").write_text(DISPLACEMENT, encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def running(pack: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with run_server(pack, log_dir=tmp_path_factory.mktemp("logs")) as server:
        yield server


@pytest.fixture(scope="module")
def stub(running: RunningServer) -> Iterator[pbg.ExtractionServiceStub]:
    with running.channel() as channel:
        yield pbg.ExtractionServiceStub(channel)


def sitrep(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args], capture_output=True, text=True, cwd=ROOT, timeout=600
    )


def test_sitrep_check_and_test_accept_the_declared_type(pack: Path) -> None:
    checked = sitrep("check", str(pack))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = sitrep("test", str(pack))
    assert tested.returncode == 0, tested.stdout[-3000:] + tested.stderr


def test_sitrep_extract_returns_the_event(pack: Path, tmp_path: Path) -> None:
    (tmp_path / "doc.txt").write_text(TEXT, encoding="utf-8")
    done = sitrep("extract", "--rules", str(pack), str(tmp_path / "doc.txt"))
    assert done.returncode == 0, done.stderr
    events = json.loads(done.stdout)["events"]
    [custom] = [e for e in events if e["type"] == "EVENT_TYPE_CUSTOM"]
    assert custom["custom"]["label"] == "displacement"
    roles = {role: m["text"] for role, m in custom["custom"]["roles"].items()}
    assert roles == {"displaced": "Thousands of villagers", "origin": "Karsk"}


def test_extract_returns_label_and_both_roles(stub: pbg.ExtractionServiceStub) -> None:
    reply = stub.Extract(pb.ExtractRequest(document=pb.Document(id="d", text=TEXT)), timeout=60)
    labels = [e.custom.label if e.WhichOneof("detail") == "custom" else e.WhichOneof("detail") for e in reply.events]
    assert labels == ["displacement", "attack"]
    displacement = reply.events[0]
    assert displacement.type == pb.EVENT_TYPE_CUSTOM and displacement.rule_id == "displacement.fled_from"
    roles = displacement.custom.roles
    assert (roles["displaced"].text, roles["origin"].text) == ("Thousands of villagers", "Karsk")
    assert TEXT[roles["origin"].span.start : roles["origin"].span.end] == "Karsk"


def test_requests_filter_by_label(stub: pbg.ExtractionServiceStub) -> None:
    def labels(**options: object) -> list[str]:
        request = pb.ExtractRequest(document=pb.Document(id="d", text=TEXT), **options)  # type: ignore[arg-type]
        return [e.custom.label or e.WhichOneof("detail") or "" for e in stub.Extract(request, timeout=60).events]

    assert labels(event_labels=["displacement"]) == ["displacement"]
    assert labels(event_types=[pb.EVENT_TYPE_CUSTOM]) == ["displacement"]
    assert labels(event_labels=["attack"]) == ["attack"]
    assert labels(event_types=[pb.EVENT_TYPE_ATTACK], event_labels=["displacement"]) == ["displacement", "attack"]
    batch = stub.BatchExtract(
        pb.BatchExtractRequest(documents=[pb.Document(id="a", text=TEXT)], event_labels=["displacement"]), timeout=60
    )
    assert [e.custom.label for e in batch.results[0].events] == ["displacement"]
    stream = stub.StreamExtract(
        iter([pb.StreamExtractRequest(document=pb.Document(id="s", text=TEXT), event_labels=["displacement"])]),
        timeout=60,
    )
    assert [[e.custom.label for e in r.result.events] for r in stream] == [["displacement"]]
    with pytest.raises(grpc.RpcError) as info:
        stub.Extract(pb.ExtractRequest(document=pb.Document(id="d", text=TEXT), event_labels=["flood"]), timeout=60)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "[S108] unknown event label 'flood'" in (info.value.details() or "")


def test_get_rule_set_lists_the_declared_type(stub: pbg.ExtractionServiceStub) -> None:
    reply = stub.GetRuleSet(pb.GetRuleSetRequest(), timeout=30)
    types = {t.name: t for t in reply.event_types}
    assert list(types) == ["casualty", "statement", "attack", "siege", "displacement"]
    assert types["displacement"].type == pb.EVENT_TYPE_CUSTOM
    assert list(types["displacement"].roles) == ["displaced", "origin"]
    assert list(types["casualty"].quantity_roles) == ["count"]
    [rule] = [r for r in reply.rules if r.id == "displacement.fled_from"]
    assert (rule.event_type, rule.event_label) == (pb.EVENT_TYPE_CUSTOM, "displacement")


def test_events_emitted_metric_is_labelled_with_the_type(
    running: RunningServer, stub: pbg.ExtractionServiceStub
) -> None:
    def emitted() -> float:
        url = f"http://127.0.0.1:{running.metrics_port}/metrics"
        with urllib.request.urlopen(url, timeout=10) as reply:
            for line in reply.read().decode().splitlines():
                if line.startswith('sitrep_events_emitted_total{event_type="displacement"} '):
                    return float(line.split()[-1])
        raise KeyError("no sitrep_events_emitted_total series for displacement")

    before = emitted()
    stub.Extract(pb.ExtractRequest(document=pb.Document(id="m", text=TEXT)), timeout=60)
    assert emitted() == before + 1


def test_sitrep_eval_scores_gold_that_uses_the_label(pack: Path, tmp_path: Path) -> None:
    text = "Hundreds of herders fled from Mossvale when the river rose. The ferry left Dunreth at noon."
    record = {
        "id": "g1", "text": text, "must_not_match": ["left Dunreth"],
        "events": [{"type": "displacement", "evidence": text[:58], "start": 0, "end": 58, "required": True,
                    "displaced": "herders", "origin": "the valley of Mossvale"}],
    }  # fmt: skip
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps(record) + "\n", encoding="utf-8")
    done = sitrep("eval", str(gold), "--rules", str(pack), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)["pack"]
    assert {k: report["types"]["displacement"][k] for k in ("gold", "found", "tp", "fp")} == {
        "gold": 1, "found": 1, "tp": 1, "fp": 0,
    }  # fmt: skip
    assert report["roles"]["displacement.displaced"]["correct"] == 1
    assert report["roles"]["displacement.origin"]["correct"] == 1
