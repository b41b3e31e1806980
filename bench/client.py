"""Load generators over real gRPC channels (grpc.aio, one asyncio loop in the bench process).

`closed_loop`: N concurrent clients (one channel each) take documents from a shared queue and send
the next as soon as the previous answer arrives: throughput. `open_loop`: requests leave at fixed
intervals whether or not earlier ones have returned, and latency is measured from the scheduled
send time, so a slow server cannot slow the load down and hide its own queueing (no coordinated
omission).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import grpc

from bench.corpus import Doc
from service.proto.sitrep.v1 import extraction_pb2 as pb
from service.proto.sitrep.v1 import extraction_pb2_grpc as pbg

TIMEOUT = 600.0


@dataclass
class RunResult:
    docs: int = 0
    seconds: float = 0.0
    rules: dict[str, list[str]] = field(default_factory=dict)  # document id → sorted rule ids of its events
    errors: list[str] = field(default_factory=list)
    versions: set[str] = field(default_factory=set)

    @property
    def docs_per_second(self) -> float:
        return self.docs / self.seconds if self.seconds else 0.0


async def _channels(target: str, count: int) -> list[grpc.aio.Channel]:
    channels = [grpc.aio.insecure_channel(target) for _ in range(count)]
    await asyncio.gather(*(asyncio.wait_for(c.channel_ready(), 30) for c in channels))
    return channels


def _document(doc: Doc) -> pb.Document:
    return pb.Document(id=doc.id, text=doc.text)


def _record(result: RunResult, reply: pb.ExtractResponse) -> None:
    result.rules[reply.document_id] = sorted(e.rule_id for e in reply.events)
    result.versions.add(reply.rule_set_version)


async def closed_loop(target: str, docs: Sequence[Doc], clients: int, batch: int = 1) -> RunResult:
    """Send every document once: `Extract` per document (batch=1) or `BatchExtract` of `batch`."""
    chunks: asyncio.Queue[list[Doc]] = asyncio.Queue()
    for i in range(0, len(docs), batch):
        chunks.put_nowait(list(docs[i : i + batch]))
    result = RunResult()
    channels = await _channels(target, clients)

    async def client(channel: grpc.aio.Channel) -> None:
        stub = pbg.ExtractionServiceStub(channel)
        while not chunks.empty():
            chunk = chunks.get_nowait()
            try:
                if batch == 1:
                    reply = await stub.Extract(pb.ExtractRequest(document=_document(chunk[0])), timeout=TIMEOUT)
                    _record(result, reply)
                else:
                    replies = await stub.BatchExtract(
                        pb.BatchExtractRequest(documents=[_document(d) for d in chunk]), timeout=TIMEOUT
                    )
                    for reply in replies.results:
                        _record(result, reply)
                result.docs += len(chunk)
            except grpc.aio.AioRpcError as exc:
                result.errors.append(f"{exc.code().name}: {exc.details()}")

    try:
        start = time.perf_counter()
        await asyncio.gather(*(client(c) for c in channels))
        result.seconds = time.perf_counter() - start
    finally:
        await asyncio.gather(*(c.close() for c in channels))
    return result


@dataclass
class LatencyResult:
    rate: float  # requests per second offered
    sent: int
    seconds: float  # from the first scheduled send to the last answer
    latencies: list[float] = field(default_factory=list)  # seconds, from scheduled send to answer
    errors: list[str] = field(default_factory=list)
    max_send_lag: float = 0.0  # how late the generator itself was (should stay ~0)


async def open_loop(target: str, text: str, rate: float, duration: float, channels: int = 4) -> LatencyResult:
    """`Extract(text)` at `rate` requests per second for `duration` seconds, open loop."""
    opened = await _channels(target, channels)
    stubs = [pbg.ExtractionServiceStub(c) for c in opened]
    count = max(1, int(rate * duration))
    result = LatencyResult(rate, count, 0.0)
    loop = asyncio.get_running_loop()
    request = pb.ExtractRequest(document=pb.Document(id="latency", text=text))

    async def one(i: int, scheduled: float) -> None:
        try:
            await stubs[i % len(stubs)].Extract(request, timeout=TIMEOUT)
            result.latencies.append(loop.time() - scheduled)
        except grpc.aio.AioRpcError as exc:
            result.errors.append(f"{exc.code().name}: {exc.details()}")

    tasks = []
    try:
        first = loop.time() + 0.05
        for i in range(count):
            scheduled = first + i / rate
            delay = scheduled - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            result.max_send_lag = max(result.max_send_lag, loop.time() - scheduled)
            tasks.append(asyncio.create_task(one(i, scheduled)))
        await asyncio.gather(*tasks)
        result.seconds = loop.time() - first
    finally:
        await asyncio.gather(*(c.close() for c in opened))
    return result


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of `values`; 0.0 when there are none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), -(-len(ordered) * q // 100)))
    return ordered[int(rank) - 1]
