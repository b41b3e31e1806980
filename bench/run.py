"""Sitrep benchmark (issue #7): one run measures, on the same machine and corpus,

(a) the in-process baseline: the same model and rules through `extract` (nlp.pipe), one process;
(b) the real server over gRPC with concurrent clients, for workers = 1 .. cores;
(c) Extract latency p50/p99 of a 500-word document at a fixed rate (open loop, ~50% of capacity);
(d) peak RSS per worker and RSS growth over 20k unique documents after warm-up;
(e) a token-only rule pack on the pruned pipeline against the same pack on the full pipeline;

prints a table with each ratio next to its target and writes `bench/results/<time>-<mode>.json`
and `bench/results/latest.json`. `--quick` is a few-minute smoke run of the same code.
Every measurement also records how much CPU other processes used meanwhile (`others`, in cores):
on a shared machine that is the first thing to look at when a ratio misses.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import io
import itertools
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from spacy.language import Language

from bench import procs
from bench.client import RunResult, closed_loop, open_loop, percentile
from bench.corpus import DEV, ROOT, Doc, document_of_words, load_corpus, sentences, subset, unique_documents, words
from service.authoring.examples import run_examples
from service.engine.compiled import CompiledRuleSet, compile_rules
from service.engine.extractor import extract
from service.engine.pipeline import load_pipeline, model_components, plan, resolve_model_name
from service.proto.sitrep.v1 import extraction_pb2 as pb
from service.proto.sitrep.v1 import extraction_pb2_grpc as pbg
from service.rules.loader import load_rules
from tests.server import RunningServer, run_server, wait_serving

TOKEN_ONLY_RULES = ROOT / "bench" / "rules_token_only"
RESULTS = ROOT / "bench" / "results"
ALL_ATTRS = ("POS", "TAG", "MORPH", "LEMMA", "DEP", "ENT_TYPE")
"""Every attribute a rule can read: the plan for these is the full pipeline."""
BATCH = 8
"""Documents per BatchExtract call in the batch rows and the memory run."""
NOISY = 0.25
"""Cores used by other processes above which a measurement is flagged as disturbed."""


@dataclass(frozen=True)
class Size:
    """How much work each measurement does; `--quick` shrinks every part."""

    corpus_every: int  # use every n-th corpus document
    warmup_every: int  # warm-up before each throughput measurement: every n-th of those (long ones too)
    min_seconds: float  # fast measurements repeat whole passes until at least this long
    latency_seconds: float
    capacity_requests: int
    memory_warmup_docs: int
    memory_docs: int
    memory_steps: int
    rounds: int  # the ratio measurements run this many interleaved rounds; the best one counts


FULL = Size(1, 8, 10.0, 60.0, 40, 2_000, 20_000, 10, 2)
QUICK = Size(6, 4, 2.0, 15.0, 12, 300, 2_000, 4, 1)


def _log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _git() -> dict[str, Any]:
    def run(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False).stdout

    status = run("status", "--porcelain", "--", "service", "rules").splitlines()
    return {"commit": run("rev-parse", "HEAD").strip(), "uncommitted_service_or_rules": [x[3:] for x in status]}


def _rate(count: float, seconds: float) -> float:
    return round(count / seconds, 2) if seconds else 0.0


# -- CPU accounting --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """CPU counters at one moment: the machine, this process, and the server's processes."""

    wall: float
    machine_busy: float
    bench_cpu: float
    tree: tuple[procs.ProcInfo, ...] = ()

    @classmethod
    def take(cls, server_pid: int | None = None) -> Snapshot:
        tree = tuple(procs.server_tree(server_pid)) if server_pid else ()
        return cls(time.perf_counter(), procs.machine_busy_seconds(), time.process_time(), tree)


def usage(before: Snapshot, after: Snapshot, docs: int) -> dict[str, Any]:
    """CPU per document for each role, how busy the workers were, and what others used."""
    wall = after.wall - before.wall
    start = {p.pid: p.cpu_seconds for p in before.tree}
    role_cpu = {"server": 0.0, "worker": 0.0, "other": 0.0}
    for p in after.tree:
        role_cpu[p.role] = role_cpu.get(p.role, 0.0) + p.cpu_seconds - start.get(p.pid, p.cpu_seconds)
    bench = after.bench_cpu - before.bench_cpu
    ours = bench + sum(role_cpu.values())
    workers = sum(1 for p in after.tree if p.role == "worker")
    per_doc = {role: round(1000 * role_cpu[role] / docs, 2) for role in ("server", "worker") if workers}
    per_doc["bench" if not workers else "client"] = round(1000 * bench / docs, 2)
    return {
        "cpu_ms_per_doc": per_doc,
        "worker_busy": round(role_cpu["worker"] / (wall * workers), 3) if workers and wall else None,
        "others_cores": round(max(0.0, after.machine_busy - before.machine_busy - ours) / wall, 2) if wall else 0.0,
    }


# -- in process ------------------------------------------------------------------------------------


def in_process(
    nlp: Language, compiled: CompiledRuleSet, docs: Sequence[Doc], size: Size, per_doc: bool = False,
    warm: bool = True,
) -> dict[str, Any]:  # fmt: skip
    """`extract` over all `docs`: one nlp.pipe call per pass (or one call per document), repeated
    until `size.min_seconds`. Returns rates, CPU use, and (`_rules`, `_tokens`) what each doc gave.

    The warm-up includes long documents: a first pass over them is several percent slower
    (allocator growth), and the workers of (b) get the same warm-up."""
    texts = [d.text for d in docs]
    min_seconds = size.min_seconds
    warmup = texts[:: size.warmup_every] if warm else []
    if per_doc:
        for text in warmup:
            extract(nlp, compiled, [text])
    elif warmup:
        extract(nlp, compiled, warmup)
    passes, tokens = 0, 0
    rules: dict[str, list[str]] = {}
    counts: dict[str, int] = {}
    stages: dict[str, float] = {}
    before = Snapshot.take()
    while passes == 0 or time.perf_counter() - before.wall < min_seconds:
        results = [extract(nlp, compiled, [t]) for t in texts] if per_doc else [extract(nlp, compiled, texts)]
        doc_results = [d for r in results for d in r.docs]
        passes += 1
        tokens += sum(d.tokens for d in doc_results)
        for result in results:
            for name, value in result.stage_seconds.items():
                stages[name] = stages.get(name, 0.0) + value
        if passes == 1:
            rules = {d.id: sorted(e.rule_id for e in r.events) for d, r in zip(docs, doc_results, strict=True)}
            counts = {d.id: r.tokens for d, r in zip(docs, doc_results, strict=True)}
    after = Snapshot.take()
    seconds = after.wall - before.wall
    return {
        "calls": "one extract() per document" if per_doc else "one extract() per pass (nlp.pipe, batch_size 32)",
        "docs": len(docs) * passes,
        "passes": passes,
        "seconds": round(seconds, 3),
        "docs_per_s": _rate(len(docs) * passes, seconds),
        "tokens_per_s": _rate(tokens, seconds),
        "stage_seconds": {k: round(v, 3) for k, v in stages.items()},
        "active_components": list(compiled.plan.active),
        **usage(before, after, len(docs) * passes),
        "_rules": rules,
        "_tokens": counts,
    }


def plain_pipe(nlp: Language, compiled: CompiledRuleSet, docs: Sequence[Doc], size: Size) -> dict[str, Any]:
    """spaCy alone: nlp.pipe over all `docs` with the components the rules need and no rules at
    all, repeated until `size.min_seconds` (the issue's yardstick for what the service adds)."""
    texts = [d.text for d in docs]
    passes, tokens = 0, 0
    before = Snapshot.take()
    while passes == 0 or time.perf_counter() - before.wall < size.min_seconds:
        with nlp.memory_zone():
            tokens += sum(len(doc) for doc in nlp.pipe(texts, disable=list(compiled.plan.disabled), batch_size=32))
        passes += 1
    after = Snapshot.take()
    seconds = after.wall - before.wall
    return {
        "calls": "nlp.pipe over the corpus, no rules",
        "docs": len(docs) * passes,
        "passes": passes,
        "seconds": round(seconds, 3),
        "docs_per_s": _rate(len(docs) * passes, seconds),
        "tokens_per_s": _rate(tokens, seconds),
        "active_components": list(compiled.plan.active),
        **usage(before, after, len(docs) * passes),
    }


def _relative(path: Path) -> str:
    """A path as results may hold it: relative to the repository (they are committed, and no one
    machine's directories belong in them)."""
    return os.path.relpath(Path(path).resolve(), ROOT)


def best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The fastest of interleaved rounds (the least disturbed on a shared machine); every round's
    rate and disturbance are kept beside it."""
    fastest = max(runs, key=lambda r: r["docs_per_s"])
    rounds = [{k: r.get(k) for k in ("docs_per_s", "worker_busy", "others_cores")} for r in runs]
    return {**fastest, "rounds": rounds}


def full_pipeline(nlp: Language, compiled: CompiledRuleSet) -> CompiledRuleSet:
    """The same compiled rules with every model component enabled (what no pruning would run)."""
    return dataclasses.replace(compiled, plan=plan(nlp, ALL_ATTRS))


def pruning(
    nlp: Language, token_only: CompiledRuleSet, real: CompiledRuleSet, docs: list[Doc], size: Size
) -> dict[str, Any]:
    """(e): the token-only pack pruned vs on the full pipeline; the real pack's plan."""
    full = full_pipeline(nlp, token_only)
    pruned_runs, full_runs = [], []
    for i in range(size.rounds):
        _log(f"(e) token-only pack, pruned pipeline {token_only.plan.active}, round {i + 1}")
        pruned_runs.append(in_process(nlp, token_only, docs, size, warm=i == 0))
        _log(f"(e) token-only pack, full pipeline {full.plan.active}, round {i + 1}")
        full_runs.append(in_process(nlp, full, docs, size, warm=i == 0))
    pruned_run, full_run = best(pruned_runs), best(full_runs)
    report: dict[str, Any] = {
        "token_only": {
            "pruned": pruned_run,
            "full": full_run,
            # Not zero by design: without the parser, sentences come from the sentencizer and
            # negation from the word window only (the pack does not ask for DEP).
            "docs_with_other_events_on_full": len(_mismatches(pruned_run["_rules"], full_run["_rules"])),
        },
        "real": {"active": list(real.plan.active), "disabled": list(real.plan.disabled)},
    }
    if set(real.plan.active) == set(full_pipeline(nlp, real).plan.active):
        report["real"]["note"] = "the shipped pack needs every component: pruned == full, nothing to compare"
    else:
        _log("(e) real pack, full pipeline")
        report["real"]["full"] = in_process(nlp, full_pipeline(nlp, real), docs, size)
    return report


def _lexemes(nlp: Language) -> int:
    return sum(1 for _ in nlp.vocab)  # len(vocab) is a counter that memory zones do not decrement


def _string_table(nlp: Language) -> int | None:
    table = getattr(nlp.vocab.strings, "_map", None)  # private: absent in other spaCy versions
    capacity = getattr(table, "capacity", None)
    return capacity if isinstance(capacity, int) else None


def memory_zone_control(nlp: Language, compiled: CompiledRuleSet, base: list[str], count: int) -> dict[str, Any]:
    """What the unique documents of (d) would leave behind in one process without
    nlp.memory_zone (plain nlp.pipe, tokenizer-only plan), then with it (`extract`). Run last: the
    strings it adds stay in this process."""
    result: dict[str, Any] = {"docs": count, "string_table_capacity_before": _string_table(nlp)}
    for name, start in (("without_memory_zone", 20_000_000), ("with_memory_zone", 30_000_000)):
        texts = (d.text for d in unique_documents(base, start, count))  # generated as consumed: only the vocab grows
        strings, lexemes, rss = len(nlp.vocab.strings), _lexemes(nlp), procs.info(os.getpid(), "bench").rss_kib
        if name == "with_memory_zone":
            while chunk := list(itertools.islice(texts, BATCH)):  # one zone per call, as a worker per request
                extract(nlp, compiled, chunk)
        else:
            for _ in nlp.pipe(texts, disable=list(compiled.plan.disabled), batch_size=64):
                pass
        result[name] = {
            "strings_added": len(nlp.vocab.strings) - strings,
            # The StringStore's hash table: with spaCy 3.8.18 it keeps doubling inside memory zones
            # although the strings are freed (see docs/performance.md).
            "string_table_capacity": _string_table(nlp),
            "lexemes_added": _lexemes(nlp) - lexemes,
            "rss_growth_kib": procs.info(os.getpid(), "bench").rss_kib - rss,
        }
    return result


# -- over gRPC ---------------------------------------------------------------------------------------


@contextlib.contextmanager
def server(rules: Path, workers: int, model: str, log_dir: Path) -> Iterator[RunningServer]:
    """The real `sitrep serve` (tests/server.py's run_server): metrics endpoint off, no rule
    watching, so nothing but the benchmark's requests runs in it. Later flags override earlier."""
    extra = ("--metrics-port", "-1", "--no-watch", "--poll-interval", "0", "--model", model)
    with run_server(rules, *extra, workers=workers, log_dir=log_dir, wait=False) as running:
        try:
            wait_serving(running.target, timeout=180)
        except TimeoutError:
            print(running.log()[-3000:], file=sys.stderr)
            raise
        yield running


def rule_set(running: RunningServer) -> pb.GetRuleSetResponse:
    with running.channel() as channel:
        reply: pb.GetRuleSetResponse = pbg.ExtractionServiceStub(channel).GetRuleSet(pb.GetRuleSetRequest())
        return reply


async def warm(running: RunningServer, docs: Sequence[Doc], workers: int, size: Size) -> None:
    """The in-process warm-up documents, two requests per worker at once: every worker compiles
    the pinned rules and has seen long documents before the measurement starts."""
    await closed_loop(running.target, docs[:: size.warmup_every], 2 * workers)


async def service_run(
    running: RunningServer, docs: Sequence[Doc], clients: int, batch: int, tokens: dict[str, int],
    min_seconds: float = 0.0,
) -> dict[str, Any]:  # fmt: skip
    """Closed-loop throughput, every document once per pass, with CPU use per process role."""
    passes, sent, errors = 0, 0, []
    rules: dict[str, list[str]] = {}
    versions: set[str] = set()
    before = Snapshot.take(running.process.pid)
    while passes == 0 or time.perf_counter() - before.wall < min_seconds:
        result: RunResult = await closed_loop(running.target, docs, clients, batch)
        passes, sent = passes + 1, sent + result.docs
        errors += result.errors
        versions |= result.versions
        rules = rules or result.rules
    after = Snapshot.take(running.process.pid)
    seconds = after.wall - before.wall
    return {
        "rpc": "Extract" if batch == 1 else f"BatchExtract({batch})",
        "clients": clients,
        "docs": sent,
        "passes": passes,
        "seconds": round(seconds, 3),
        "docs_per_s": _rate(sent, seconds),
        "tokens_per_s": _rate(passes * sum(tokens.get(d.id, 0) for d in docs), seconds),
        **usage(before, after, max(sent, 1)),
        "errors": errors[:5],
        "error_count": len(errors),
        "versions": sorted(versions),
        "_rules": rules,
    }


async def latency(running: RunningServer, text: str, workers: int, size: Size) -> dict[str, Any]:
    """(c): capacity for this document (closed loop), then an open loop at half of it."""
    unloaded = await open_loop(running.target, text, rate=1.0, duration=min(10.0, size.latency_seconds / 3), channels=1)
    capacity = await closed_loop(running.target, [Doc("latency", text)] * size.capacity_requests, 2 * workers)
    rate = 0.5 * capacity.docs_per_second
    _log(f"(c) capacity {capacity.docs_per_second:.2f} req/s; open loop at {rate:.2f} req/s")
    before = Snapshot.take(running.process.pid)
    loaded = await open_loop(running.target, text, rate=rate, duration=size.latency_seconds)
    after = Snapshot.take(running.process.pid)
    ms = [1000 * x for x in loaded.latencies]
    return {
        "words": words(text),
        "characters": len(text),
        "workers": workers,
        "capacity_rps": round(capacity.docs_per_second, 2),
        "rate_rps": round(rate, 2),
        "requests": loaded.sent,
        "answered": len(ms),
        "errors": loaded.errors[:5],
        "max_send_lag_ms": round(1000 * loaded.max_send_lag, 1),
        "p50_ms": round(percentile(ms, 50), 1),
        "p90_ms": round(percentile(ms, 90), 1),
        "p99_ms": round(percentile(ms, 99), 1),
        "max_ms": round(max(ms, default=0.0), 1),
        "unloaded_p50_ms": round(percentile([1000 * x for x in unloaded.latencies], 50), 1),
        **usage(before, after, max(len(ms), 1)),
    }


def _rss(running: RunningServer, docs_done: int) -> dict[str, Any]:
    tree = [p for p in procs.server_tree(running.process.pid) if p.role in ("server", "worker")]
    return {"docs": docs_done, "total_rss_kib": procs.total_rss_kib(tree), "processes": [p.as_dict() for p in tree]}


async def memory(running: RunningServer, base: list[str], workers: int, size: Size) -> dict[str, Any]:
    """(d): unique documents (BatchExtract, 2 clients per worker); RSS after warm-up and after
    every step. Growth is measured from the post-warm-up snapshot."""
    clients = 2 * workers
    warmup = list(unique_documents(base, 0, size.memory_warmup_docs))
    await closed_loop(running.target, warmup, clients, BATCH)
    curve = [_rss(running, 0)]
    step = size.memory_docs // size.memory_steps
    errors = 0
    before = Snapshot.take(running.process.pid)
    for i in range(size.memory_steps):
        docs = list(unique_documents(base, len(warmup) + i * step, step))
        errors += len((await closed_loop(running.target, docs, clients, BATCH)).errors)
        curve.append(_rss(running, (i + 1) * step))
        _log(f"(d) {(i + 1) * step} unique documents, total RSS {curve[-1]['total_rss_kib'] / 1024:.0f} MiB")
    after = Snapshot.take(running.process.pid)
    first, last = curve[0], curve[-1]
    start = {p["pid"]: p["rss_kib"] for p in first["processes"]}
    per_process = [
        {"pid": p["pid"], "role": p["role"], "rss_after_warmup_kib": start[p["pid"]], "rss_end_kib": p["rss_kib"],
         "hwm_kib": p["hwm_kib"], "growth": round(p["rss_kib"] / start[p["pid"]] - 1, 4)}
        for p in last["processes"] if p["pid"] in start
    ]  # fmt: skip
    done = step * size.memory_steps
    return {
        "warmup_docs": len(warmup),
        "docs": done,
        "docs_per_s": _rate(done, after.wall - before.wall),
        "errors": errors,
        "total_rss_after_warmup_kib": first["total_rss_kib"],
        "total_rss_end_kib": last["total_rss_kib"],
        "growth": round(last["total_rss_kib"] / first["total_rss_kib"] - 1, 4),
        "per_process": per_process,
        "peak_rss_per_worker_kib": max((p["hwm_kib"] for p in last["processes"] if p["role"] == "worker"), default=0),
        "curve": [{"docs": c["docs"], "total_rss_kib": c["total_rss_kib"]} for c in curve],
        **usage(before, after, max(done, 1)),
    }


# -- the run -------------------------------------------------------------------------------------------


@dataclass
class Ratio:
    name: str
    value: float
    target: float
    note: str = ""
    below: bool = False  # the target is an upper bound (value < target passes)

    @property
    def passed(self) -> bool:
        return self.value < self.target if self.below else self.value >= self.target

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "value": round(self.value, 3), "op": "<" if self.below else ">=",
                "target": self.target, "pass": self.passed, "note": self.note}  # fmt: skip


def _mismatches(a: dict[str, list[str]], b: dict[str, list[str]]) -> list[str]:
    return sorted(key for key, value in a.items() if key in b and b[key] != value)


def _strip(value: Any) -> Any:
    """Drop the bulky `_`-prefixed working fields before writing JSON."""
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if not str(k).startswith("_")}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def _peaks(running: RunningServer) -> dict[str, Any]:
    tree = [p for p in procs.server_tree(running.process.pid) if p.role in ("server", "worker")]
    return {
        "processes": [p.as_dict() for p in tree],
        "peak_rss_per_worker_kib": max((p.hwm_kib for p in tree if p.role == "worker"), default=0),
    }


def snapshot_rules(rules: Path, rev: str | None, target: Path) -> Path:
    """One copy of the rules for the whole run (the in-process and served packs are the same files
    even if someone edits the checkout meanwhile): the directory as it is, or as of git `rev`."""
    if rev is None:
        shutil.copytree(rules, target, ignore=shutil.ignore_patterns(".*"))
        return target
    relative = rules.resolve().relative_to(ROOT)
    archive = subprocess.run(
        ["git", "archive", "--format=tar", rev, str(relative)], cwd=ROOT, capture_output=True, check=True
    )
    target.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(target, filter="data")
    return target / relative


async def run(args: argparse.Namespace) -> dict[str, Any]:
    size = QUICK if args.quick else FULL
    if args.memory_docs:
        size = dataclasses.replace(size, memory_docs=args.memory_docs)
    if args.rounds:
        size = dataclasses.replace(size, rounds=args.rounds)
    cores = len(os.sched_getaffinity(0))
    worker_counts = args.workers or list(range(1, cores + 1))
    top = max(worker_counts)
    clients = args.clients or 4 * cores
    batch_clients = 2 * cores
    started = time.time()

    # One snapshot of the rules for the whole run: the in-process and served packs are the same
    # files even if someone edits the checkout meanwhile.
    rules_dir = snapshot_rules(args.rules, args.rules_rev, args.log_dir / "rules")
    nlp = load_pipeline(args.model)
    model = resolve_model_name(args.model)
    components = model_components(nlp)
    real = compile_rules(load_rules(rules_dir, components), nlp)
    failures = [r.describe() for r in run_examples(nlp, real) if not r.passed]
    if failures:  # the server would refuse this pack and never report SERVING
        raise SystemExit("rule examples fail (rules being edited? try --rules-rev HEAD):\n" + "\n".join(failures))
    token_only = compile_rules(load_rules(TOKEN_ONLY_RULES, components), nlp)
    corpus = subset(load_corpus(args.corpus), size.corpus_every)
    report: dict[str, Any] = {
        "schema": 1,
        "mode": "quick" if args.quick else "full",
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": procs.machine(model, str(nlp.meta.get("version", ""))),
        "git": _git(),
        "loadavg_start": procs.loadavg(),
        "settings": {**dataclasses.asdict(size), "clients": clients, "batch_clients": batch_clients,
                     "batch": BATCH, "workers": worker_counts, "rules": _relative(args.rules),
                     "rules_rev": args.rules_rev,
                     "rules_version": real.version, "rules_count": len(real.spec.runnable),
                     "token_only_rules": str(TOKEN_ONLY_RULES.relative_to(ROOT))},
    }  # fmt: skip
    _log(f"corpus: {len(corpus)} documents from {args.corpus}; workers {worker_counts}; {clients} clients")

    _log("(a) in-process baseline, warm-up")
    first = in_process(nlp, real, corpus, size)
    tokens: dict[str, int] = first["_tokens"]
    report["corpus"] = {"documents": len(corpus), "words": sum(words(d.text) for d in corpus),
                        "tokens": sum(tokens.values()), "source": _relative(args.corpus)}  # fmt: skip
    _log("(a') in process, one extract() call per document")
    per_doc = in_process(nlp, real, corpus, size, per_doc=True)
    per_doc["result_mismatches_vs_batched"] = _mismatches(first["_rules"], per_doc["_rules"])
    report["baseline_per_doc"] = per_doc
    report["pruning"] = pruning(nlp, token_only, real, corpus, size)

    with contextlib.ExitStack() as stack:
        # Every server runs from the start, so the in-process baseline and each worker count can
        # take turns: a burst of other load then spreads over all of them instead of one.
        servers: dict[int, RunningServer] = {}
        for workers in worker_counts:
            _log(f"(b) starting a server with {workers} worker(s)")
            servers[workers] = stack.enter_context(server(rules_dir, workers, args.model, args.log_dir))
            await warm(servers[workers], corpus, workers, size)
        baselines: list[dict[str, Any]] = []
        plains: list[dict[str, Any]] = []
        extracts: dict[int, list[dict[str, Any]]] = {w: [] for w in worker_counts}
        for i in range(size.rounds):
            baselines.append(in_process(nlp, real, corpus, size, warm=False))
            _log(f"(a) round {i + 1}: in process {baselines[-1]['docs_per_s']} docs/s")
            plains.append(plain_pipe(nlp, real, corpus, size))
            _log(f"(a) round {i + 1}: nlp.pipe, no rules {plains[-1]['docs_per_s']} docs/s")
            for workers, running in servers.items():
                extracts[workers].append(await service_run(running, corpus, clients, 1, tokens, size.min_seconds))
                _log(f"(b) round {i + 1}: workers={workers} Extract {extracts[workers][-1]['docs_per_s']} docs/s")
        report["baseline"] = best(baselines)
        report["plain_pipe"] = best(plains)
        service: list[dict[str, Any]] = []
        for workers, running in servers.items():
            info = rule_set(running)
            entry: dict[str, Any] = {"workers": workers, "active_components": list(info.pipeline.active_components)}
            entry["extract"] = best(extracts[workers])
            entry["batch"] = await service_run(running, corpus, batch_clients, BATCH, tokens, size.min_seconds)
            _log(f"(b) workers={workers} BatchExtract {entry['batch']['docs_per_s']} docs/s")
            entry["result_mismatches_vs_per_doc"] = _mismatches(per_doc["_rules"], entry["extract"]["_rules"])
            if workers == top:
                _log("(c) latency of a 500-word document")
                report["latency"] = await latency(running, document_of_words(load_corpus(args.corpus)), workers, size)
                _log("(d) memory over unique documents")
                report["memory"] = await memory(running, sentences(corpus), workers, size)
            entry |= _peaks(running)
            service.append(entry)
    report["service"] = service

    _log(f"(e) token-only pack through the server, {top} worker(s)")

    with server(TOKEN_ONLY_RULES, top, args.model, args.log_dir) as running:
        await warm(running, corpus, top, size)
        report["service_token_only"] = {
            "workers": top,
            "active_components": list(rule_set(running).pipeline.active_components),
            "extract": await service_run(running, corpus, clients, 1, tokens, size.min_seconds),
            "batch": await service_run(running, corpus, batch_clients, BATCH, tokens, size.min_seconds),
            **_peaks(running),
        }
    _log("memory_zone control (in process)")
    report["memory_zone_control"] = memory_zone_control(nlp, token_only, sentences(corpus), size.memory_docs)

    report["ratios"] = [r.as_dict() for r in ratios(report, top)]
    report["others_cores"] = others(report)
    report["loadavg_end"] = procs.loadavg()
    report["seconds"] = round(time.time() - started, 1)
    return report


def others(report: dict[str, Any]) -> dict[str, float]:
    """Cores used by other processes during each measurement (the noise on a shared machine)."""
    found = {
        "baseline": report["baseline"]["others_cores"],
        "baseline_per_doc": report["baseline_per_doc"]["others_cores"],
    }
    for e in report["service"]:
        found[f"service w={e['workers']} Extract"] = e["extract"]["others_cores"]
    for name in ("pruned", "full"):
        found[f"token-only {name}"] = report["pruning"]["token_only"][name]["others_cores"]
    for name in ("latency", "memory"):
        if name in report:
            found[name] = report[name]["others_cores"]
    return found


def ratios(report: dict[str, Any], top: int) -> list[Ratio]:
    """The issue's targets, each a ratio of two measurements of this run."""
    found = []
    by_workers = {e["workers"]: e for e in report["service"]}
    if 1 in by_workers:
        one = by_workers[1]["extract"]["docs_per_s"]
        found.append(Ratio("service(w=1)/in-process docs/s", one / report["baseline"]["docs_per_s"], 0.9, "Extract"))
        if "plain_pipe" in report:
            plain = report["plain_pipe"]["docs_per_s"]
            found.append(Ratio("service(w=1)/nlp.pipe without rules docs/s", one / plain, 0.85, "Extract"))
        batched = by_workers[1]["batch"]["docs_per_s"]
        found.append(Ratio(f"service(w=1) Extract/BatchExtract({BATCH}) docs/s", one / batched, 0.95, "Extract"))
        if top > 1:
            many = by_workers[top]["extract"]["docs_per_s"]
            found.append(Ratio(f"service(w={top})/service(w=1) docs/s", many / one, round(0.85 * top, 2), "Extract"))
    token = report["pruning"]["token_only"]
    speedup = token["pruned"]["docs_per_s"] / token["full"]["docs_per_s"]
    found.append(Ratio("token-only pack: pruned/full docs/s", speedup, 5.0, "in process"))
    if "memory" in report:
        mem = report["memory"]
        name = f"RSS growth over {mem['docs']} unique docs"
        found.append(Ratio(name, mem["growth"], 0.10, f"w={top}, server + workers", below=True))
    return found


# -- output --------------------------------------------------------------------------------------------


def table(report: dict[str, Any]) -> str:
    m, c = report["machine"], report["corpus"]
    lines = [
        f"Sitrep benchmark ({report['mode']}, {report['seconds']:.0f} s) on {m['cpu_model']}, "
        f"{m['usable_cores']} cores, {m['ram_gib']} GiB; Python {m['python']}, spaCy {m['spacy']}, "
        f"{m['model']} {m['model_version']}",
        f"corpus: {c['documents']} documents, {c['words']:,} words, {c['tokens']:,} tokens; "
        f"load average {report['loadavg_start']} -> {report['loadavg_end']}",
        "'others': cores used by other processes meanwhile; 'busy': worker CPU / (wall x workers); "
        f"(a) and (b) Extract: best of {report['settings']['rounds']} interleaved rounds",
        "",
        f"{'measurement':<56}{'docs/s':>9}{'tokens/s':>10}{'busy':>6}{'others':>8}",
    ]

    def row(name: str, entry: dict[str, Any]) -> None:
        busy = f"{entry['worker_busy']:.2f}" if entry.get("worker_busy") is not None else "-"
        lines.append(
            f"{name:<56}{entry['docs_per_s']:>9.2f}{entry['tokens_per_s']:>10,.0f}{busy:>6}{entry['others_cores']:>8.2f}"
        )

    row("(a) in process, rules/, nlp.pipe over the corpus", report["baseline"])
    if "plain_pipe" in report:
        row("    in process, nlp.pipe alone (no rules)", report["plain_pipe"])
    row("    in process, rules/, one extract() per document", report["baseline_per_doc"])
    for e in report["service"]:
        row(f"(b) service w={e['workers']}, Extract, {e['extract']['clients']} clients", e["extract"])
        row(f"    service w={e['workers']}, {e['batch']['rpc']}, {e['batch']['clients']} clients", e["batch"])
    token = report["pruning"]["token_only"]
    row(f"(e) token-only pack, pruned: {'+'.join(token['pruned']['active_components'])}", token["pruned"])
    row("(e) token-only pack, full pipeline", token["full"])
    tso = report["service_token_only"]
    row(f"    token-only pack via service w={tso['workers']}, Extract", tso["extract"])
    row(f"    token-only pack via service w={tso['workers']}, {tso['batch']['rpc']}", tso["batch"])
    if "latency" in report:
        lat = report["latency"]
        lines += [
            "",
            f"(c) Extract latency, {lat['words']}-word document, w={lat['workers']}, open loop at {lat['rate_rps']} "
            f"req/s (50% of {lat['capacity_rps']}), {lat['answered']}/{lat['requests']} answered: p50 {lat['p50_ms']} "
            f"ms, p90 {lat['p90_ms']} ms, p99 {lat['p99_ms']} ms, max {lat['max_ms']} ms (unloaded p50 "
            f"{lat['unloaded_p50_ms']} ms; others {lat['others_cores']} cores)",
        ]
    if "memory" in report:
        mem = report["memory"]
        lines.append(
            f"(d) RSS server+workers {mem['total_rss_after_warmup_kib'] / 1024:.0f} MiB after {mem['warmup_docs']} "
            f"warm-up docs -> {mem['total_rss_end_kib'] / 1024:.0f} MiB after {mem['docs']} unique docs "
            f"({100 * mem['growth']:+.1f}%); peak RSS per worker {mem['peak_rss_per_worker_kib'] / 1024:.0f} MiB"
        )
    control = report.get("memory_zone_control")
    if control:
        lines.append(
            f"    in process, {control['docs']} unique docs add "
            f"{control['without_memory_zone']['strings_added']:,} strings without memory_zone, "
            f"{control['with_memory_zone']['strings_added']:,} with it; RSS "
            f"+{control['without_memory_zone']['rss_growth_kib'] / 1024:.0f} / "
            f"+{control['with_memory_zone']['rss_growth_kib'] / 1024:.0f} MiB, string table capacity "
            f"{control.get('string_table_capacity_before')} -> "
            f"{control['without_memory_zone'].get('string_table_capacity')} -> "
            f"{control['with_memory_zone'].get('string_table_capacity')}"
        )
    cpu = "; ".join(
        f"w={e['workers']}: server {e['extract']['cpu_ms_per_doc']['server']}, workers "
        f"{e['extract']['cpu_ms_per_doc']['worker']}, client {e['extract']['cpu_ms_per_doc']['client']}"
        for e in report["service"]
    )
    lines.append(
        f"    CPU ms per document, Extract (in process {report['baseline']['cpu_ms_per_doc']['bench']}): {cpu}"
    )
    lines += ["", f"{'ratio':<52}{'value':>8}{'target':>10}  result"]
    busiest = max(report["others_cores"].values(), default=0.0)
    for r in report["ratios"]:
        target = f"{r['op']} {r['target']}"
        lines.append(f"{r['name']:<52}{r['value']:>8.3f}{target:>10}  {'PASS' if r['pass'] else 'FAIL'}")
    if busiest > NOISY:
        worst = ", ".join(f"{k} {v:.2f}" for k, v in report["others_cores"].items() if v > NOISY)
        lines += [
            "",
            f"WARNING: other processes used up to {busiest:.2f} cores during measurements ({worst});",
            "the ratios above compare runs that had different amounts of CPU: rerun on a quiet machine.",
        ]
    return "\n".join(lines)


def write(report: dict[str, Any], directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.fromisoformat(report["started_at"]).strftime("%Y%m%dT%H%M%SZ")
    data = json.dumps(_strip(report), indent=2) + "\n"
    path = directory / f"{stamp}-{report['mode']}.json"
    for target in (path, directory / "latest.json"):
        tmp = target.with_suffix(".tmp")
        tmp.write_text(data)
        tmp.replace(target)
    return path


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="a few-minute smoke run (corpus subset, 2k docs)")
    parser.add_argument("--workers", type=int, nargs="+", help="worker counts to serve with (default: 1..cores)")
    parser.add_argument("--clients", type=int, default=0, help="concurrent Extract clients (default: 4 x cores)")
    parser.add_argument("--rounds", type=int, default=0, help="interleaved rounds of the ratio runs (default 2)")
    parser.add_argument("--memory-docs", type=int, default=0, help="unique documents for (d) (default 20000)")
    parser.add_argument("--rules", type=Path, default=ROOT / "rules", help="rule pack for (a)-(d)")
    parser.add_argument("--rules-rev", metavar="REV", help="take --rules as of this git revision (e.g. HEAD)")
    parser.add_argument("--model", default="en_core_web_sm", help="spaCy model, as for sitrep serve")
    parser.add_argument("--corpus", type=Path, default=DEV, help="directory with the dev *.jsonl files")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where the JSON results go")
    parser.add_argument("--check", action="store_true", help="exit 1 when a ratio misses its target")
    parser.add_argument("--show", type=Path, metavar="JSON", help="print the table of an earlier result and exit")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    if args.show:
        report = json.loads(args.show.read_text())
    else:
        args.log_dir = Path(tempfile.mkdtemp(prefix="sitrep-bench-"))  # server logs, the rules snapshot
        try:
            report = asyncio.run(run(args))
        finally:
            shutil.rmtree(args.log_dir, ignore_errors=True)
        path = write(report, args.out)
    print(table(report))
    if not args.show:
        print(f"\nresults: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 1 if args.check and not all(r["pass"] for r in report["ratios"]) else 0
