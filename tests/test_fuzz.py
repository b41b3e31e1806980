"""Fuzzing the real server's request messages with hypothesis, through raw byte channels.

Three sources of requests: random bytes, valid serialised requests with bytes flipped, inserted,
deleted or cut off, and well-formed messages with hostile field values (unknown enum numbers,
invalid offset encodings, control characters, right-to-left text, a 100k-character token,
text over the size limit, duplicate ids). Every answer must be OK or a documented status for
that method, never INTERNAL or UNKNOWN, and after each test the server is SERVING with the same
worker processes (none crashed).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from google.protobuf.message import Message
from grpc_health.v1 import health_pb2, health_pb2_grpc
from hypothesis import given, settings
from hypothesis import strategies as st

from service.proto.sitrep.v1 import extraction_pb2 as pb
from tests.server import ROOT, RunningServer, raw_unary, run_server

RULES = ROOT / "tests" / "data" / "rules"
OK, INVALID = grpc.StatusCode.OK, grpc.StatusCode.INVALID_ARGUMENT
# What each method may answer to a single client: the admin RPC is off (PERMISSION_DENIED), and
# GetRuleSet takes no arguments, so any bytes get the rule set.
ALLOWED = {
    "Extract": {OK, INVALID},
    "BatchExtract": {OK, INVALID},
    "StreamExtract": {OK, INVALID},
    "GetRuleSet": {OK},
    "ReloadRules": {grpc.StatusCode.PERMISSION_DENIED},
}
RESPONSES: dict[str, type[Message]] = {
    "Extract": pb.ExtractResponse,
    "BatchExtract": pb.BatchExtractResponse,
    "GetRuleSet": pb.GetRuleSetResponse,
    "ReloadRules": pb.ReloadRulesResponse,
}
FUZZ = settings(max_examples=200, deadline=None)

HOSTILE = [
    "\x00\x01\x02\x7f NUL and control \x1b[31m",
    "x" * 100_000,
    "!?." * 2_000,
    "قصفت القوات الروسية ضواحي كييف",
    "\u202eRussian forces shelled Kharkiv\u202c",
    "Russian forces bombarded the outskirts of Kyiv.",
    "a" * 1_000_001,  # over the 1 MB limit
    "\ufeff\u200b\u2028\u2029",
]
texts = st.one_of(st.text(st.characters(exclude_categories=["Cs"]), max_size=300), st.sampled_from(HOSTILE))
# Any: the stubs type enum fields with their known values; the point is to send others.
enum_values: st.SearchStrategy[Any] = st.one_of(st.integers(0, 5), st.integers(-(2**31), 2**31 - 1))
documents = st.builds(pb.Document, id=st.text(max_size=5), text=texts)
extracts = st.builds(
    pb.ExtractRequest,
    document=st.one_of(st.none(), documents),
    event_types=st.lists(enum_values, max_size=4),
    offset_encoding=enum_values,
)
batches = st.builds(
    pb.BatchExtractRequest,
    documents=st.lists(documents, max_size=6),
    event_types=st.lists(enum_values, max_size=4),
    offset_encoding=enum_values,
)
VALID = {
    "Extract": pb.ExtractRequest(
        document=pb.Document(id="v", text="Four Russian soldiers were injured."),
        event_types=[pb.EVENT_TYPE_CASUALTY, pb.EVENT_TYPE_ATTACK],
        offset_encoding=pb.OFFSET_ENCODING_UTF16,
    ).SerializeToString(),
    "BatchExtract": pb.BatchExtractRequest(
        documents=[pb.Document(id="a", text="Russian forces shelled Kharkiv."), pb.Document(id="b", text="Calm.")],
        offset_encoding=pb.OFFSET_ENCODING_UTF8,
    ).SerializeToString(),
}


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, bytes]:
    method = draw(st.sampled_from(sorted(VALID)))
    data = bytearray(VALID[method])
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        if op == "flip" and at < len(data):
            data[at] ^= draw(st.integers(1, 255))
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=4))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 4))]
        elif op == "truncate":
            del data[at:]
    return method, bytes(data)


class Fuzzer:
    def __init__(self, server: RunningServer, channel: grpc.Channel) -> None:
        self.server, self.channel = server, channel
        self.workers = server.worker_pids()
        self.calls = {name: raw_unary(channel, name) for name in RESPONSES}
        self.stream: grpc.StreamStreamMultiCallable[bytes, bytes] = channel.stream_stream(
            "/sitrep.v1.ExtractionService/StreamExtract"
        )

    def send(self, method: str, data: bytes) -> None:
        try:
            reply = self.calls[method](data, timeout=60)
        except grpc.RpcError as error:
            assert error.code() in ALLOWED[method], (method, data[:80], error.code(), error.details())
            return
        assert OK in ALLOWED[method], (method, data[:80])
        RESPONSES[method].FromString(reply)

    def send_stream(self, messages: list[bytes]) -> None:
        try:
            replies = list(self.stream(iter(messages), timeout=60))
        except grpc.RpcError as error:
            assert error.code() in ALLOWED["StreamExtract"], (messages, error.code(), error.details())
            return
        assert len(replies) == len(messages)
        for reply in replies:
            pb.StreamExtractResponse.FromString(reply)

    def assert_alive(self) -> None:
        request = health_pb2.HealthCheckRequest(service="sitrep.v1.ExtractionService")
        reply = health_pb2_grpc.HealthStub(self.channel).Check(request, timeout=10)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
        assert self.server.worker_pids() == self.workers, "a worker was replaced: it crashed"


@pytest.fixture(scope="module")
def fuzzer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzer]:
    with run_server(RULES, workers=2, log_dir=tmp_path_factory.mktemp("logs")) as server, server.channel() as channel:
        fuzz = Fuzzer(server, channel)
        yield fuzz
        assert "Traceback" not in server.log(), server.log()[-3000:]


def test_random_bytes(fuzzer: Fuzzer) -> None:
    @FUZZ
    @given(method=st.sampled_from(sorted(RESPONSES)), data=st.binary(max_size=512))
    def run(method: str, data: bytes) -> None:
        fuzzer.send(method, data)

    run()
    fuzzer.assert_alive()


def test_mutated_requests(fuzzer: Fuzzer) -> None:
    @FUZZ
    @given(request=mutated())
    def run(request: tuple[str, bytes]) -> None:
        fuzzer.send(*request)

    run()
    fuzzer.assert_alive()


def test_hostile_field_values(fuzzer: Fuzzer) -> None:
    @FUZZ
    @given(request=st.one_of(extracts, batches))
    def run(request: pb.ExtractRequest | pb.BatchExtractRequest) -> None:
        fuzzer.send(
            "Extract" if isinstance(request, pb.ExtractRequest) else "BatchExtract", request.SerializeToString()
        )

    run()
    fuzzer.assert_alive()


def test_streams_of_mixed_messages(fuzzer: Fuzzer) -> None:
    message = st.one_of(
        extracts.map(lambda r: r.SerializeToString()), st.binary(max_size=64), mutated().map(lambda m: m[1])
    )

    @settings(FUZZ, max_examples=60)
    @given(messages=st.lists(message, max_size=5))
    def run(messages: list[bytes]) -> None:
        fuzzer.send_stream(messages)

    run()
    fuzzer.assert_alive()
