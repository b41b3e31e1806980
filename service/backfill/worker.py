"""What runs in each Spark Python worker: the engine, loaded once, over a partition's documents.

The model and the compiled rule set are a lazy per-process singleton (Spark reuses its Python
workers across tasks, so each loads them once). Documents go through `extract`, the function the
server and `sitrep extract` use, `batch` documents per call: one `nlp.pipe` over the pruned
pipeline inside one `memory_zone`, so an executor's vocab does not grow with the archive.
"""

from __future__ import annotations

import functools
import os
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
from pyspark import SparkFiles
from spacy.language import Language

from service.backfill.rows import FAILED, REFUSED, Row, event_rows, status_row, to_batch
from service.engine.compiled import CompiledRuleSet, compile_rules
from service.engine.extractor import extract
from service.engine.pipeline import load_pipeline, model_components
from service.errors import E
from service.events.model import DocResult
from service.rules.loader import load_rules


@dataclass(frozen=True, slots=True)
class Task:
    """The job's settings, pickled with the function Spark ships to every worker."""

    archive: str  # name of the rules archive Spark unpacked beside the worker (SparkFiles)
    version: str  # content hash of those rules, checked on load and stamped on every row
    model: str
    types: frozenset[str] | None
    max_text_bytes: int
    batch: int


@functools.lru_cache(maxsize=1)
def engine(rules: str, version: str, model: str) -> tuple[Language, CompiledRuleSet]:
    """This process's pipeline and compiled rules; refuses rules whose hash is not `version`."""
    started = time.perf_counter()
    nlp = load_pipeline(model)
    spec = load_rules(Path(rules), model_components(nlp))
    if spec.version != version:
        raise RuntimeError(f"rules at {rules} have version {spec.version}, the job ships {version}")
    compiled = compile_rules(spec, nlp)
    # executor stderr: one line per Python worker, so a log shows how often the engine loaded
    print(f"sitrep backfill: worker {os.getpid()} loaded {model} and rules {version} "
          f"in {time.perf_counter() - started:.1f} s", file=sys.stderr)  # fmt: skip
    return nlp, compiled


def refusal(text: str | None, limit: int) -> str | None:
    """Why a document is not extracted at all, with the server's code for the same refusal."""
    if not text:
        return E.S101.format()
    size = len(text.encode("utf-8", "surrogatepass"))
    return E.S102.format(size=size, limit=limit) if size > limit else None


def _results(
    nlp: Language, compiled: CompiledRuleSet, texts: Sequence[str], types: frozenset[str] | None
) -> list[DocResult | str]:
    """One result per text; if the batch fails, each text alone, so one bad document costs only
    itself (its entry is then the error)."""
    try:
        return list(extract(nlp, compiled, texts, types).docs)
    except Exception as exc:
        if len(texts) == 1:
            return [f"{type(exc).__name__}: {exc}"]
        return [result for text in texts for result in _results(nlp, compiled, [text], types)]


def process(
    nlp: Language, compiled: CompiledRuleSet, task: Task,
    ids: Sequence[str | None], texts: Sequence[str | None], published: Sequence[str | None],
) -> list[Row]:  # fmt: skip
    """The rows of a group of documents: events, or one status row per refused or failed one."""
    version = compiled.version
    rows: list[Row] = []
    accepted: list[int] = []
    for i, (doc_id, text) in enumerate(zip(ids, texts, strict=True)):
        problem = "document id is missing" if doc_id is None else refusal(text, task.max_text_bytes)
        if problem is None:
            accepted.append(i)
        else:
            rows.append(status_row(doc_id, published[i], REFUSED, problem, version))
    results = _results(nlp, compiled, [texts[i] or "" for i in accepted], task.types)
    for i, result in zip(accepted, results, strict=True):
        doc_id = ids[i] or ""
        if isinstance(result, str):
            rows.append(status_row(doc_id, published[i], FAILED, result, version))
        else:
            rows.extend(event_rows(doc_id, published[i], result.events, version))
    return rows


def partition(task: Task, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """`mapInArrow` body: (id, text, published_at) batches in, output rows out, `task.batch`
    documents at a time so results stream out while the partition is read."""
    nlp, compiled = engine(SparkFiles.get(task.archive), task.version, task.model)
    for batch in batches:
        ids, texts, published = (batch.column(name).to_pylist() for name in ("id", "text", "published_at"))
        for start in range(0, len(ids), task.batch):
            end = start + task.batch
            rows = process(nlp, compiled, task, ids[start:end], texts[start:end], published[start:end])
            if rows:
                yield to_batch(rows)
