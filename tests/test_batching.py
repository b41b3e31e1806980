"""Dynamic batching (`--batch-delay-ms`): concurrent single-document `Extract` calls are sent to a
worker together, and each caller still gets exactly its own document's answer."""

from __future__ import annotations

import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc

from service.proto.sitrep.v1 import extraction_pb2 as pb
from service.proto.sitrep.v1 import extraction_pb2_grpc as pbg
from tests.server import ROOT, RunningServer, run_server

PLACES = ["Varnok", "Tesselby", "Orrin", "Quellmark", "Dunhaven", "Sarrow", "Pelling", "Kimber"]
TEXTS = [
    f"Militia gunners shelled the outskirts of {place} on day {i}. {i + 2} civilians were injured."
    if i % 2
    else f"The market in {place} reopened on day {i}."
    for i, place in enumerate(PLACES * 3)
]


def _batches(server: RunningServer) -> float:
    """How many batches reached the workers: observations of the `nlp` stage."""
    url = f"http://127.0.0.1:{server.metrics_port}/metrics"
    with urllib.request.urlopen(url, timeout=10) as reply:
        for line in reply.read().decode().splitlines():
            if line.startswith('sitrep_stage_seconds_count{stage="nlp"}'):
                return float(line.split()[1])
    raise KeyError("sitrep_stage_seconds_count")


def _summary(response: pb.ExtractResponse) -> list[tuple[str, int, int, str]]:
    return [(e.rule_id, e.span.start, e.span.end, e.text) for e in response.events]


def test_concurrent_extract_calls_are_batched_and_answered_each_their_own(tmp_path: Path) -> None:
    rules = ROOT / "tests" / "data" / "rules"
    with (
        run_server(rules, "--batch-delay-ms", "50", log_dir=tmp_path) as server,
        grpc.insecure_channel(server.target) as channel,
    ):
        stub = pbg.ExtractionServiceStub(channel)
        batch = stub.BatchExtract(
            pb.BatchExtractRequest(documents=[pb.Document(id=str(i), text=t) for i, t in enumerate(TEXTS)]),
            timeout=60,
        )
        expected = [_summary(r) for r in batch.results]
        before = _batches(server)

        def call(i: int) -> pb.ExtractResponse:
            return stub.Extract(pb.ExtractRequest(document=pb.Document(id=str(i), text=TEXTS[i])), timeout=60)

        with ThreadPoolExecutor(8) as pool:
            replies = list(pool.map(call, range(len(TEXTS))))
        batches = _batches(server) - before
    assert [r.document_id for r in replies] == [str(i) for i in range(len(TEXTS))]
    assert [_summary(r) for r in replies] == expected
    assert sum(map(len, expected)) >= len(TEXTS) // 2  # the texts do produce events
    assert batches < len(TEXTS) / 2, f"{len(TEXTS)} calls went to the workers in {batches} batches"
