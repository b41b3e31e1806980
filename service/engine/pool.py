"""The extraction worker pool: N spawned processes, each with its own pipeline.

Design (docs/architecture.md): an asyncio gRPC front end hands documents to a
`ProcessPoolExecutor`. Each task names the rule-set version it was pinned to and the file holding
that version's pickled spec; a worker compiles a version on first use and keeps the newest few,
so all workers switch on their next document and a request never mixes versions. Workers hold
no metrics and no gRPC objects: they return plain results and counts.

Work stops when nobody waits for it: a task carries the caller's deadline and the path of a
cancel marker, and the worker checks both before each spaCy minibatch (`extract(should_stop=)`).
When the awaiting coroutine is cancelled (the client cancelled, its deadline passed, or the
server stopped) a task still queued is dropped, and a running one sees its marker and stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import pickle
import shutil
import tempfile
import time
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from spacy.language import Language

from service.engine.compiled import CompiledRuleSet, compile_rules
from service.engine.extractor import BatchResult, Stopped, extract
from service.engine.pipeline import load_pipeline
from service.rules.schema import RuleSetSpec

_CACHE_SIZE = 3


class WorkerLost(Exception):
    """A worker process died while holding this request's documents."""


class DeadlineExpired(Exception):
    """The caller's deadline passed before the work was done."""


class Cancelled(Exception):
    """The caller went away (its marker appeared), so the worker stopped."""


@dataclass(frozen=True, slots=True)
class Pinned:
    """What a request pins: one rule-set version and where its spec lives."""

    version: str
    spec_path: str


class _Worker:
    """Per-process state: the pipeline and a small cache of compiled rule sets."""

    nlp: ClassVar[Language | None] = None
    compiled: ClassVar[OrderedDict[str, CompiledRuleSet]] = OrderedDict()

    @classmethod
    def init(cls, model: str) -> None:
        cls.nlp = load_pipeline(model)
        cls.compiled = OrderedDict()

    @classmethod
    def rules(cls, pinned: Pinned) -> CompiledRuleSet:
        assert cls.nlp is not None
        if pinned.version not in cls.compiled:
            spec: RuleSetSpec = pickle.loads(Path(pinned.spec_path).read_bytes())
            cls.compiled[pinned.version] = compile_rules(spec, cls.nlp)
            while len(cls.compiled) > _CACHE_SIZE:
                cls.compiled.popitem(last=False)
        cls.compiled.move_to_end(pinned.version)
        return cls.compiled[pinned.version]


def _run(
    pinned: Pinned, texts: Sequence[str], types: frozenset[str] | None, deadline: float | None, marker: str
) -> BatchResult:
    def expired() -> bool:
        return deadline is not None and time.time() > deadline

    def should_stop() -> bool:
        return expired() or os.path.exists(marker)

    try:
        if should_stop():
            raise Stopped()
        assert _Worker.nlp is not None
        return extract(_Worker.nlp, _Worker.rules(pinned), texts, types, should_stop=should_stop)
    except Stopped:
        raise DeadlineExpired() if expired() else Cancelled() from None


def _ping() -> int:
    return os.getpid()


class WorkerPool:
    """Async facade over the process pool; rebuilds the pool when a worker dies."""

    def __init__(self, model: str, workers: int) -> None:
        self._model = model
        self._size = max(1, workers)
        self._executor = self._new_executor()
        self._markers = Path(tempfile.mkdtemp(prefix="sitrep-cancel-"))

    def _new_executor(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self._size,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_Worker.init,
            initargs=(self._model,),
        )

    @property
    def size(self) -> int:
        return self._size

    async def warm_up(self) -> list[int]:
        """Start every worker (model loaded) before the service reports SERVING."""
        loop = asyncio.get_running_loop()
        pids = await asyncio.gather(*(loop.run_in_executor(self._executor, _ping) for _ in range(self._size * 2)))
        return sorted(set(pids))

    def pids(self) -> list[int]:
        processes = getattr(self._executor, "_processes", None) or {}
        return sorted(processes)

    async def extract(
        self, pinned: Pinned, texts: Sequence[str], types: frozenset[str] | None,
        deadline: float | None = None,
    ) -> BatchResult:  # fmt: skip
        executor = self._executor
        marker = self._markers / uuid.uuid4().hex
        try:
            future = executor.submit(_run, pinned, list(texts), types, deadline, str(marker))
            return await asyncio.wrap_future(future)
        except BrokenProcessPool as exc:
            if self._executor is executor:
                self._executor = self._new_executor()
                executor.shutdown(wait=False, cancel_futures=True)
            raise WorkerLost() from exc
        except asyncio.CancelledError:
            self._abandon(future, marker)
            raise

    @staticmethod
    def _abandon(future: Future[BatchResult], marker: Path) -> None:
        """Nobody waits for this task any more: drop it if queued, else tell its worker to stop."""
        if future.cancel():
            return
        with contextlib.suppress(OSError):  # the pool is closing
            marker.touch()
        future.add_done_callback(lambda _: marker.unlink(missing_ok=True))

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(self._markers, ignore_errors=True)


def publish_spec(spec: RuleSetSpec, directory: Path) -> Pinned:
    """Write a spec where workers can read it; the name is its version, the write atomic."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{spec.version}.pickle"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(pickle.dumps(spec))
        tmp.replace(path)
    return Pinned(spec.version, str(path))
