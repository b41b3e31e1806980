"""The real server on a loopback port, every RPC through a real channel."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from grpc_status import rpc_status

from service.proto.sitrep.v1 import extraction_pb2 as pb
from service.proto.sitrep.v1 import extraction_pb2_grpc as pbg
from tests.server import ROOT, SEED, RunningServer, run_server

RULES = ROOT / "tests" / "data" / "rules"
TRICKY = (
    "Kyiv said “Зеленський 🙂 said nothing.” Russian forces bombarded the outskirts of Kyiv 🚀. "
    "Four Russian soldiers were injured, according to Tass 😢."
)
ENCODINGS = {
    pb.OFFSET_ENCODING_UTF8: "utf-8",
    pb.OFFSET_ENCODING_UTF16: "utf-16-le",
    pb.OFFSET_ENCODING_CODE_POINT: "utf-32-le",
}


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with run_server(RULES, log_dir=tmp_path_factory.mktemp("logs")) as server:
        yield server


@pytest.fixture(scope="module")
def stub(running: RunningServer) -> Iterator[pbg.ExtractionServiceStub]:
    with running.channel() as channel:
        yield pbg.ExtractionServiceStub(channel)


def _slice(text: str, encoding: str, start: int, end: int) -> str:
    unit = 4 if encoding == "utf-32-le" else 2 if encoding == "utf-16-le" else 1
    data = text.encode(encoding)
    return data[start * unit : end * unit].decode(encoding)


def _spans(event: pb.Event) -> Iterator[tuple[str, pb.Span]]:
    yield event.text, event.span
    detail = getattr(event, event.WhichOneof("detail"))
    for field, value in detail.ListFields():
        if field.message_type is not None:
            yield value.text, value.span


def test_health_and_reflection(running: RunningServer) -> None:
    with running.channel() as channel:
        health = health_pb2_grpc.HealthStub(channel)
        for name in ("", "sitrep.v1.ExtractionService"):
            reply = health.Check(health_pb2.HealthCheckRequest(service=name))
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        replies = stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
        names = {s.name for reply in replies for s in reply.list_services_response.service}
    assert "sitrep.v1.ExtractionService" in names


def test_three_rpcs_agree_on_the_seed(stub: pbg.ExtractionServiceStub) -> None:
    text = SEED.read_text()
    single = stub.Extract(pb.ExtractRequest(document=pb.Document(id="seed", text=text)))
    batch = stub.BatchExtract(
        pb.BatchExtractRequest(documents=[pb.Document(id="seed", text=text), pb.Document(id="x", text="Calm day.")])
    )
    stream = list(stub.StreamExtract(iter([pb.StreamExtractRequest(document=pb.Document(id="seed", text=text))])))
    assert len(single.events) >= 4
    assert {e.type for e in single.events} == {pb.EVENT_TYPE_ATTACK, pb.EVENT_TYPE_CASUALTY}
    assert batch.results[0] == single
    assert list(batch.results[1].events) == []
    assert stream[0].result == single
    assert single.rule_set_version == batch.rule_set_version != ""
    injured = next(e for e in single.events if e.type == pb.EVENT_TYPE_CASUALTY)
    assert injured.casualty.kind == pb.CASUALTY_KIND_INJURED
    assert injured.casualty.count.min == 4 and injured.casualty.count.max == 4
    assert injured.casualty.count.qualifier == pb.Quantity.QUALIFIER_EXACT
    assert injured.casualty.source.text == "according to Russian news agency Tass"


@pytest.mark.parametrize("encoding", list(ENCODINGS))
def test_offsets_slice_the_input_in_every_encoding(stub: pbg.ExtractionServiceStub, encoding: int) -> None:
    response = stub.Extract(pb.ExtractRequest(document=pb.Document(id="t", text=TRICKY), offset_encoding=encoding))
    assert len(response.events) == 2
    checked = 0
    for event in response.events:
        for text, span in _spans(event):
            assert _slice(TRICKY, ENCODINGS[encoding], span.start, span.end) == text
            checked += 1
    assert checked >= 6


def test_stream_answers_in_order(stub: pbg.ExtractionServiceStub) -> None:
    texts = [f"Russian forces shelled the town number {i}." for i in range(40)]
    requests = (pb.StreamExtractRequest(document=pb.Document(id=str(i), text=t)) for i, t in enumerate(texts))
    ids = [r.result.document_id for r in stub.StreamExtract(requests)]
    assert ids == [str(i) for i in range(40)]


def test_event_type_filter(stub: pbg.ExtractionServiceStub) -> None:
    request = pb.ExtractRequest(document=pb.Document(id="t", text=TRICKY), event_types=[pb.EVENT_TYPE_CASUALTY])
    assert [e.type for e in stub.Extract(request).events] == [pb.EVENT_TYPE_CASUALTY]


def _violations(error: grpc.RpcError) -> list[str]:
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None
    out = []
    for detail in status.details:
        bad = error_details_pb2.BadRequest()
        assert detail.Unpack(bad)
        out += [v.field for v in bad.field_violations]
    return out


@pytest.mark.parametrize(
    ("request_", "fields"),
    [
        (pb.ExtractRequest(document=pb.Document(id="a", text="")), ["document.text"]),
        (pb.ExtractRequest(), ["document"]),
        (pb.ExtractRequest(document=pb.Document(text="x"), event_types=[99]), ["event_types[0]"]),
        (pb.ExtractRequest(document=pb.Document(text="x"), offset_encoding=7), ["offset_encoding"]),  # type: ignore[arg-type]
        (pb.ExtractRequest(document=pb.Document(text="x" * 1_000_001)), ["document.text"]),
    ],
)
def test_bad_requests_get_field_violations(
    stub: pbg.ExtractionServiceStub, request_: pb.ExtractRequest, fields: list[str]
) -> None:
    with pytest.raises(grpc.RpcError) as info:
        stub.Extract(request_)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert _violations(info.value) == fields


def test_batch_limits_and_duplicates(stub: pbg.ExtractionServiceStub) -> None:
    docs = [pb.Document(id="a", text="x"), pb.Document(id="a", text="y")]
    with pytest.raises(grpc.RpcError) as info:
        stub.BatchExtract(pb.BatchExtractRequest(documents=docs))
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert _violations(info.value) == ["documents[1].id"]
    many = [pb.Document(id=str(i), text="x") for i in range(257)]
    with pytest.raises(grpc.RpcError) as info:
        stub.BatchExtract(pb.BatchExtractRequest(documents=many))
    assert "at most 256" in (info.value.details() or "")


def test_invalid_utf8_is_an_error_not_a_crash(running: RunningServer, stub: pbg.ExtractionServiceStub) -> None:
    with running.channel() as channel:
        raw = channel.unary_unary("/sitrep.v1.ExtractionService/Extract")
        # field 1 (document) → field 2 (text) holding bytes that are not UTF-8
        with pytest.raises(grpc.RpcError) as info:
            raw(b"\x0a\x04\x12\x02\xff\xfe")
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert stub.Extract(pb.ExtractRequest(document=pb.Document(text="still alive"))).rule_set_version


def test_hostile_texts_are_answered(stub: pbg.ExtractionServiceStub) -> None:
    texts = ["\x00\x01\x02 control", "x" * 100_000, " ".join(["word"] * 50_000), "!?" * 20_000,
             "قصفت القوات الروسية ضواحي كييف", "שלום עולם"]  # fmt: skip
    replies = stub.BatchExtract(
        pb.BatchExtractRequest(documents=[pb.Document(id=str(i), text=t) for i, t in enumerate(texts)])
    )
    assert [r.document_id for r in replies.results] == [str(i) for i in range(len(texts))]


def test_get_rule_set(stub: pbg.ExtractionServiceStub) -> None:
    reply = stub.GetRuleSet(pb.GetRuleSetRequest())
    assert len(reply.version) == 16
    assert {r.id for r in reply.rules} == {"attack.subject_verb_object", "casualty.count_passive"}
    first = next(r for r in reply.rules if r.id == "attack.subject_verb_object")
    assert first.file.endswith("basic.yaml") and first.line == 5 and first.status == pb.RULE_STATUS_ACTIVE
    assert "parser" in reply.pipeline.active_components
    assert reply.last_reload.success


def test_admin_reload_is_off_by_default(stub: pbg.ExtractionServiceStub) -> None:
    with pytest.raises(grpc.RpcError) as info:
        stub.ReloadRules(pb.ReloadRulesRequest())
    assert info.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_cli_extract_prints_proto_json(tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "service.cli", "extract", str(SEED), "--rules", str(RULES)],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )  # fmt: skip
    (line,) = out.stdout.splitlines()
    record = json.loads(line)
    assert record["document_id"] == SEED.name
    assert record["events"][0]["type"] == "EVENT_TYPE_ATTACK"
    assert record["events"][0]["attack"]["attacker"]["text"] == "The Ukrainian forces"
