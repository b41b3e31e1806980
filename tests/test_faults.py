"""Faults against the real server: SIGTERM drain, a worker killed mid-request, deadlines, cancel.

Each test runs one worker, so "the worker is free again" is visible as the latency of the next
call: work left running for a caller that has gone would delay it by seconds.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from service.proto.sitrep.v1 import extraction_pb2 as pb
from service.proto.sitrep.v1 import extraction_pb2_grpc as pbg
from tests.server import ROOT, SEED, RunningServer, run_server

RULES = ROOT / "tests" / "data" / "rules"
SEED_TEXT = SEED.read_text(encoding="utf-8")  # about 75 ms of parsing per copy on one core
INFLIGHT = "sitrep_inflight_requests"
SERVICE = "sitrep.v1.ExtractionService"
QUICK = "Russian forces shelled Kharkiv."


def seed_batch(count: int, copies: int = 1) -> pb.BatchExtractRequest:
    text = "\n\n".join([SEED_TEXT] * copies)
    return pb.BatchExtractRequest(documents=[pb.Document(id=f"d{i}", text=text) for i in range(count)])


def timed_extract(stub: pbg.ExtractionServiceStub, timeout: float) -> float:
    """Seconds a one-sentence Extract takes; it must succeed."""
    t0 = time.perf_counter()
    reply = stub.Extract(pb.ExtractRequest(document=pb.Document(id="q", text=QUICK)), timeout=timeout)
    assert reply.rule_set_version
    return time.perf_counter() - t0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with run_server(RULES, log_dir=tmp_path_factory.mktemp("logs")) as running:
        yield running


@pytest.fixture
def stub(server: RunningServer) -> Iterator[pbg.ExtractionServiceStub]:
    with server.channel() as channel:
        yield pbg.ExtractionServiceStub(channel)


def test_expired_deadline_stops_the_work(stub: pbg.ExtractionServiceStub) -> None:
    timed_extract(stub, timeout=60)  # the worker has compiled the rules
    with pytest.raises(grpc.RpcError) as info:
        stub.BatchExtract(seed_batch(128), timeout=1.5)  # ~10 s of parsing
    assert info.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    # Had the worker kept parsing the batch, this call would wait behind it for seconds.
    assert timed_extract(stub, timeout=10) < 3.0


def test_cancelled_stream_stops_the_work(server: RunningServer, stub: pbg.ExtractionServiceStub) -> None:
    timed_extract(stub, timeout=60)
    hold = threading.Event()

    def requests() -> Iterator[pb.StreamExtractRequest]:
        for i in range(17):  # the first alone, then a micro-batch of 16 (~5 s of parsing)
            yield pb.StreamExtractRequest(document=pb.Document(id=str(i), text="\n\n".join([SEED_TEXT] * 4)))
        hold.wait(60)

    call = stub.StreamExtract(requests(), timeout=120)
    try:
        assert next(call).result.document_id == "0"
        time.sleep(0.5)  # the next micro-batch is in the worker
        assert server.metric(INFLIGHT) >= 1
        call.cancel()
    finally:
        hold.set()
    with pytest.raises(grpc.RpcError) as info:
        list(call)
    assert info.value.code() == grpc.StatusCode.CANCELLED
    assert timed_extract(stub, timeout=10) < 3.0


def test_killed_worker_fails_its_request_with_unavailable_and_is_replaced(tmp_path: Path) -> None:
    with run_server(RULES, log_dir=tmp_path) as server, server.channel() as channel:
        stub = pbg.ExtractionServiceStub(channel)
        timed_extract(stub, timeout=60)
        (worker,) = server.worker_pids()
        pending = stub.BatchExtract.future(seed_batch(128), timeout=120)
        server.wait_metric(INFLIGHT, 1)
        time.sleep(0.5)
        os.kill(worker, signal.SIGKILL)
        killed_at = time.perf_counter()
        error = pending.exception(timeout=30)
        assert isinstance(error, grpc.RpcError)
        assert error.code() == grpc.StatusCode.UNAVAILABLE, error
        assert time.perf_counter() - killed_at < 5.0
        # A fresh worker (the model loads again) serves the retry.
        timed_extract(stub, timeout=90)
        (replacement,) = server.worker_pids()
        assert replacement != worker
        assert server.process.poll() is None


def test_sigterm_drains_in_flight_calls_and_exits_zero(tmp_path: Path) -> None:
    grace = 30.0
    with run_server(RULES, "--grace-period", str(grace), log_dir=tmp_path) as server, server.channel() as channel:
        stub = pbg.ExtractionServiceStub(channel)
        health = health_pb2_grpc.HealthStub(channel)
        timed_extract(stub, timeout=60)
        batch = seed_batch(96)  # ~7 s of parsing
        pending = stub.BatchExtract.future(batch, timeout=120)
        server.wait_metric(INFLIGHT, 1)

        server.process.send_signal(signal.SIGTERM)
        stopped_at = time.perf_counter()
        refused = None
        while refused is None and time.perf_counter() - stopped_at < 5:
            try:  # health says NOT_SERVING until the server refuses calls altogether
                status = health.Check(health_pb2.HealthCheckRequest(service=SERVICE), timeout=2).status
                assert status == health_pb2.HealthCheckResponse.NOT_SERVING or time.perf_counter() - stopped_at < 0.5
            except grpc.RpcError:
                pass
            with server.channel() as fresh:
                try:
                    timed_extract(pbg.ExtractionServiceStub(fresh), timeout=2)
                except grpc.RpcError as error:
                    refused = error.code()
        assert refused == grpc.StatusCode.UNAVAILABLE
        assert not pending.done(), "the batch should still be running: the test proves nothing"

        reply = pending.result(timeout=grace)
        assert [r.document_id for r in reply.results] == [d.id for d in batch.documents]
        assert server.process.wait(timeout=grace) == 0
        assert time.perf_counter() - stopped_at < grace


def test_health_watch_sees_not_serving_on_sigterm(tmp_path: Path) -> None:
    with run_server(RULES, log_dir=tmp_path) as server, server.channel() as channel:
        watch = health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest(service=SERVICE), timeout=60)
        try:
            assert next(watch).status == health_pb2.HealthCheckResponse.SERVING
            server.process.send_signal(signal.SIGTERM)
            assert next(watch).status == health_pb2.HealthCheckResponse.NOT_SERVING
        finally:
            watch.cancel()
        assert server.process.wait(timeout=30) == 0
