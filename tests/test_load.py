"""Load on loopback: many concurrent clients mixing every RPC, bad inputs and hot reloads.

The server alternates between two rule packs (A, and A plus an `artillery fire` rule) while the
clients run. Before the load, one Extract per text under each pack gives the reference answer.
During the load every answer must be OK and equal to the reference of the version it reports
(so a response never mixes packs and is complete), each batch and stream must answer every
document in order, bad inputs must get INVALID_ARGUMENT, and calls over the concurrency limit
(deliberately below the number of clients) must get RESOURCE_EXHAUSTED at once instead of
queueing. Memory of the server and its workers must stay bounded.

    .venv/bin/pytest -q -s tests/test_load.py          # quick (part of make test), ~30-60 s
    .venv/bin/pytest -q -s -m soak tests/test_load.py  # the long variant, by hand

Both print one line of figures (requests, concurrency, codes, reloads, latency, RSS).
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from service.proto.sitrep.v1 import extraction_pb2 as pb
from service.proto.sitrep.v1 import extraction_pb2_grpc as pbg
from tests.server import BASIC_RULES, SEED, RunningServer, raw_unary, run_server

TOKEN = "load-test-token"
ADMIN = (("authorization", f"Bearer {TOKEN}"),)
TIMEOUT = 60.0
PACKS = {
    "A": BASIC_RULES,
    "B": BASIC_RULES
    + """\
  - id: attack.artillery_phrase
    event: attack
    phrases: ["artillery fire"]
""",
}
TEXTS = [
    SEED.read_text(encoding="utf-8"),
    "Russian forces bombarded the outskirts of Kyiv.",
    "Four Russian soldiers were injured.",
    "Heavy artillery fire hit Kharkiv overnight, and two civilians were killed.",
    "Nothing happened today.",
    "Kyiv said “Зеленський 🙂 said nothing.” Russian forces shelled the town 🚀.",
    "قصفت القوات الروسية ضواحي كييف. Three children were wounded.",
]
LIMITED = grpc.StatusCode.RESOURCE_EXHAUSTED
INVALID = grpc.StatusCode.INVALID_ARGUMENT
BAD_EXTRACTS = [
    pb.ExtractRequest(document=pb.Document(id="e", text="")),
    pb.ExtractRequest(document=pb.Document(id="e", text="x"), offset_encoding=9),  # type: ignore[arg-type]
    pb.ExtractRequest(document=pb.Document(id="e", text="x"), event_types=[42]),  # type: ignore[list-item]
]
BAD_BATCHES = [
    pb.BatchExtractRequest(documents=[pb.Document(id="a", text="x"), pb.Document(id="a", text="y")]),
    pb.BatchExtractRequest(documents=[pb.Document(id=str(i), text="x") for i in range(257)]),
]
INVALID_UTF8 = b"\x0a\x04\x12\x02\xff\xfe"  # Extract{document{text: <not UTF-8>}}


@dataclass(frozen=True)
class Size:
    clients: int
    requests_per_client: int
    reloads: int
    max_concurrent_rpcs: int


def _doc(index: int) -> pb.Document:
    return pb.Document(id=f"t{index}", text=TEXTS[index])


@dataclass
class Tally:
    """What the clients saw; `problems` holds every answer that broke a rule of the test."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    codes: Counter[str] = field(default_factory=Counter)
    ok_seconds: list[float] = field(default_factory=list)
    refused_seconds: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    versions: Counter[str] = field(default_factory=Counter)
    done: int = 0

    def record(self, code: grpc.StatusCode, seconds: float) -> None:
        with self.lock:
            self.codes[code.name] += 1
            self.done += 1
            (self.ok_seconds if code == grpc.StatusCode.OK else self.refused_seconds).append(seconds)

    def problem(self, text: str) -> None:
        with self.lock:
            self.problems.append(text)


class Checker:
    """Compares answers with the reference of the version they report."""

    def __init__(self, reference: dict[str, list[pb.ExtractResponse]], rules: dict[str, set[str]], tally: Tally):
        self.reference, self.rules, self.tally = reference, rules, tally

    def result(self, response: pb.ExtractResponse, index: int, where: str) -> None:
        expected = self.reference.get(response.rule_set_version)
        if expected is None:
            self.tally.problem(f"{where}: unknown rule-set version {response.rule_set_version!r}")
        elif response != expected[index]:
            self.tally.problem(f"{where}: text {index} differs from its reference under {response.rule_set_version}")
        with self.tally.lock:
            self.tally.versions[response.rule_set_version] += 1


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


class Client:
    def __init__(self, index: int, channel: grpc.Channel, checker: Checker, tally: Tally) -> None:
        self.rng = random.Random(index)
        self.stub = pbg.ExtractionServiceStub(channel)
        self.health = health_pb2_grpc.HealthStub(channel)
        self.raw_extract = raw_unary(channel, "Extract")
        self.check, self.tally = checker, tally
        self.kinds: list[Callable[[], None]] = [self.extract] * 6 + [self.batch] * 4 + [self.stream] * 3
        self.kinds += [self.rule_set, self.health_check, self.bad, self.bad, self.bad_utf8]

    def call(self, expected: set[grpc.StatusCode], send: Callable[[], None]) -> None:
        t0 = time.perf_counter()
        try:
            send()
            code = grpc.StatusCode.OK
        except grpc.RpcError as error:
            code = error.code()
        seconds = time.perf_counter() - t0
        self.tally.record(code, seconds)
        if code not in expected:
            self.tally.problem(f"{send.__name__}: {code.name} ({seconds:.2f} s)")
        if code == LIMITED:
            time.sleep(self.rng.uniform(0.05, 0.2))  # a client's backoff

    def run(self, requests: int) -> None:
        for _ in range(requests):
            self.rng.choice(self.kinds)()

    def extract(self) -> None:
        index = self.rng.randrange(len(TEXTS))

        def extract() -> None:
            reply = self.stub.Extract(pb.ExtractRequest(document=_doc(index)), timeout=TIMEOUT)
            self.check.result(reply, index, "Extract")

        self.call({grpc.StatusCode.OK, LIMITED}, extract)

    def batch(self) -> None:
        indexes = self.rng.sample(range(len(TEXTS)), self.rng.randint(2, len(TEXTS)))

        def batch() -> None:
            reply = self.stub.BatchExtract(pb.BatchExtractRequest(documents=map(_doc, indexes)), timeout=TIMEOUT)
            if [r.document_id for r in reply.results] != [f"t{i}" for i in indexes]:
                self.tally.problem(f"BatchExtract: ids {[r.document_id for r in reply.results]} for {indexes}")
            for index, result in zip(indexes, reply.results, strict=False):
                if result.rule_set_version != reply.rule_set_version:
                    self.tally.problem("BatchExtract: results of one batch name different versions")
                self.check.result(result, index, "BatchExtract")

        self.call({grpc.StatusCode.OK, LIMITED}, batch)

    def stream(self) -> None:
        indexes = [self.rng.randrange(len(TEXTS)) for _ in range(self.rng.randint(1, 24))]

        def stream() -> None:
            requests = (pb.StreamExtractRequest(document=_doc(i)) for i in indexes)
            replies = [r.result for r in self.stub.StreamExtract(requests, timeout=TIMEOUT)]
            if [r.document_id for r in replies] != [f"t{i}" for i in indexes]:
                self.tally.problem(f"StreamExtract: {len(replies)} answers for {len(indexes)} documents")
            for index, result in zip(indexes, replies, strict=False):
                self.check.result(result, index, "StreamExtract")

        self.call({grpc.StatusCode.OK, LIMITED}, stream)

    def rule_set(self) -> None:
        def rule_set() -> None:
            reply = self.stub.GetRuleSet(pb.GetRuleSetRequest(), timeout=TIMEOUT)
            if {r.id for r in reply.rules} != self.check.rules.get(reply.version):
                self.tally.problem(f"GetRuleSet: rules of {reply.version!r} are not those of a loaded pack")

        self.call({grpc.StatusCode.OK, LIMITED}, rule_set)

    def health_check(self) -> None:
        def health() -> None:
            request = health_pb2.HealthCheckRequest(service="sitrep.v1.ExtractionService")
            if self.health.Check(request, timeout=TIMEOUT).status != health_pb2.HealthCheckResponse.SERVING:
                self.tally.problem("Health: not SERVING during the load")

        self.call({grpc.StatusCode.OK}, health)

    def bad(self) -> None:
        def bad_request() -> None:
            if self.rng.random() < 0.5:
                self.stub.Extract(self.rng.choice(BAD_EXTRACTS), timeout=TIMEOUT)
            else:
                self.stub.BatchExtract(self.rng.choice(BAD_BATCHES), timeout=TIMEOUT)

        self.call({INVALID, LIMITED}, bad_request)

    def bad_utf8(self) -> None:
        def invalid_utf8() -> None:
            self.raw_extract(INVALID_UTF8, timeout=TIMEOUT)

        self.call({INVALID, LIMITED}, invalid_utf8)


class Reloader:
    """Rewrites the rules file (atomically, as a ConfigMap swap would) and reloads via the admin RPC."""

    def __init__(self, rules_file: Path, stub: pbg.ExtractionServiceStub, versions: dict[str, str]) -> None:
        self.rules_file, self.stub, self.versions = rules_file, stub, versions
        self.done = 0
        self.problems: list[str] = []

    def to(self, pack: str) -> str:
        tmp = self.rules_file.with_suffix(".tmp")
        tmp.write_text(PACKS[pack], encoding="utf-8")
        os.replace(tmp, self.rules_file)
        while True:
            try:
                reply = self.stub.ReloadRules(pb.ReloadRulesRequest(), metadata=ADMIN, timeout=TIMEOUT)
                break
            except grpc.RpcError as error:
                if error.code() != LIMITED:
                    raise
                time.sleep(0.05)
        if not reply.status.success:
            self.problems.append(f"reload to {pack} refused: {list(reply.status.errors)}")
        self.done += 1
        return reply.version

    def run(self, count: int, progress: Callable[[], float], stop: threading.Event) -> None:
        """`count` reloads, alternating the packs, spread evenly over the clients' progress."""
        try:
            for i in range(count):
                while progress() < (i + 1) / (count + 1) and not stop.is_set():
                    time.sleep(0.05)
                pack = "B" if i % 2 == 0 else "A"
                if self.to(pack) != self.versions[pack]:
                    self.problems.append(f"reload {i} to {pack} gave another version")
        except grpc.RpcError as error:
            self.problems.append(f"reload failed: {error.code().name} {error.details()}")


def _reference(stub: pbg.ExtractionServiceStub) -> list[pb.ExtractResponse]:
    return [stub.Extract(pb.ExtractRequest(document=_doc(i)), timeout=TIMEOUT) for i in range(len(TEXTS))]


SIZES = [
    pytest.param(Size(clients=24, requests_per_client=50, reloads=6, max_concurrent_rpcs=20), id="quick"),
    pytest.param(
        Size(clients=32, requests_per_client=1500, reloads=60, max_concurrent_rpcs=28),
        id="soak",
        marks=[pytest.mark.soak, pytest.mark.timeout(3600)],  # the suite's 300 s would cut it short
    ),
]


@pytest.mark.parametrize("size", SIZES)
def test_load(size: Size, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    rules_file = rules / "pack.yaml"
    rules_file.write_text(PACKS["A"], encoding="utf-8")
    flags = ("--workers", "2", "--max-concurrent-rpcs", str(size.max_concurrent_rpcs))
    with run_server(rules, *flags, "--enable-admin", "--admin-token", TOKEN, log_dir=tmp_path) as server:
        figures = _run_load(server, rules_file, size)
    with capsys.disabled():
        print(f"\nload[{size.clients} clients]: {figures}")


def _run_load(server: RunningServer, rules_file: Path, size: Size) -> str:
    tally = Tally()
    with server.channel() as admin_channel:
        admin = pbg.ExtractionServiceStub(admin_channel)
        # References: the answer to each text under each pack; the load starts on pack A.
        versions: dict[str, str] = {}
        reference: dict[str, list[pb.ExtractResponse]] = {}
        rules: dict[str, set[str]] = {}
        reloader = Reloader(rules_file, admin, versions)
        for pack in ("A", "B"):
            if pack != "A":
                reloader.to(pack)
            reply = admin.GetRuleSet(pb.GetRuleSetRequest(), timeout=TIMEOUT)
            versions[pack] = reply.version
            rules[reply.version] = {r.id for r in reply.rules}
            reference[reply.version] = _reference(admin)
        assert reloader.to("A") == versions["A"]
        assert rules[versions["B"]] - rules[versions["A"]] == {"attack.artillery_phrase"}
        reloader.done = 0
        checker = Checker(reference, rules, tally)
        rss_before = server.rss_bytes()

        total = size.clients * size.requests_per_client
        stop = threading.Event()
        channels = [server.channel() for _ in range(size.clients)]
        clients = [Client(i, channel, checker, tally) for i, channel in enumerate(channels)]
        threads = [threading.Thread(target=c.run, args=(size.requests_per_client,)) for c in clients]
        reload_thread = threading.Thread(target=reloader.run, args=(size.reloads, lambda: tally.done / total, stop))
        t0 = time.perf_counter()
        for thread in [*threads, reload_thread]:
            thread.start()
        for thread in threads:
            thread.join()
        stop.set()
        reload_thread.join()
        elapsed = time.perf_counter() - t0
        for channel in channels:
            channel.close()
        rss_after = server.rss_bytes()
        # Still healthy and on a known version after the load.
        assert admin.GetRuleSet(pb.GetRuleSetRequest(), timeout=TIMEOUT).version in reference

    figures = (
        f"{tally.done} requests in {elapsed:.1f} s, {size.clients} concurrent clients, "
        f"limit {size.max_concurrent_rpcs} RPCs, codes {dict(tally.codes)}, {reloader.done} reloads, "
        f"versions answered {dict(tally.versions)}, OK latency p50 {_percentile(tally.ok_seconds, 0.5) * 1000:.0f} ms "
        f"p99 {_percentile(tally.ok_seconds, 0.99) * 1000:.0f} ms, refused p99 "
        f"{_percentile(tally.refused_seconds, 0.99) * 1000:.0f} ms, RSS {rss_before / 2**20:.0f} -> "
        f"{rss_after / 2**20:.0f} MiB"
    )
    assert tally.problems == [], f"{len(tally.problems)} problems, first: {tally.problems[:5]}\n{figures}"
    assert reloader.problems == [] and reloader.done == size.reloads, reloader.problems
    assert tally.done == total
    # Both packs answered under load, and each kind of expected error was seen.
    assert len(tally.versions) == 2, figures
    assert tally.codes[INVALID.name] > 0 and tally.codes[LIMITED.name] > 0, figures
    # Over the limit means an immediate refusal, not a place in a queue.
    assert _percentile(tally.refused_seconds, 0.99) < 1.0, figures
    assert rss_after < rss_before * 1.25 + 100 * 2**20, figures
    return figures
