"""The extraction worker pool: N spawned processes, each with its own pipeline.

Design (docs/architecture.md): an asyncio gRPC front end hands documents to a
`ProcessPoolExecutor`. Each task names the rule-set version it was pinned to and the file holding
that version's pickled spec; `prepare` has every worker compile a new version before it is
published (a worker that missed it, e.g. one started later, compiles on first use), each keeps the
newest few, so all workers switch on their next document and a request never mixes versions. Workers hold
no metrics and no gRPC objects: they return plain results and counts.

Work stops when nobody waits for it: a task carries the caller's deadline and the path of a
cancel marker, and the worker checks both before each spaCy minibatch (`extract(should_stop=)`).
When the awaiting coroutine is cancelled (the client cancelled, its deadline passed, or the
server stopped) a task still queued is dropped, and a running one sees its marker and stops.

A worker that cannot stop (one document or one match that takes longer than the deadline, a
stopped process) is not waited for: every call has a deadline (the caller's, else
`max_call_seconds`), the caller is answered at the deadline plus `OVERRUN_MARGIN`, and the
watchdog kills a worker still busy with that task then (it writes its pid beside the marker when
it starts one). The watchdog also notices dead or stopped workers and replaces the pool before a
call lands on it; `healthy()` is false while the pool cannot serve.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import gc
import itertools
import logging
import multiprocessing
import os
import pickle
import shutil
import signal
import tempfile
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Sequence
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

_CACHE_SIZE = 2
OVERRUN_MARGIN = 5.0  # seconds a worker may run past a deadline before it is killed
BATCH_MAX = 16  # single-document calls sent together at most
PREPARE_WAIT = 0.5  # seconds a worker that compiled a new version waits for the others to
WATCH_INTERVAL = 0.5
log = logging.getLogger("sitrep.pool")


class WorkerLost(Exception):
    """A worker process died while holding this request's documents."""


class DeadlineExpired(Exception):
    """The caller's deadline passed before the work was done."""


class Cancelled(Exception):
    """The caller went away (its marker appeared), so the worker stopped."""


class Overran(Exception):
    """The worker was still busy with this task past its deadline and was killed."""


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
        # The model's ~125k objects live as long as the worker: out of the collector's sight, a
        # full collection no longer walks them (half the GC time of extraction on the dev corpus).
        # Rule sets come and go with reloads, so they stay collectable.
        gc.freeze()

    @classmethod
    def rules(cls, pinned: Pinned) -> CompiledRuleSet:
        assert cls.nlp is not None
        if pinned.version not in cls.compiled:
            spec: RuleSetSpec = pickle.loads(Path(pinned.spec_path).read_bytes())
            cls.compiled[pinned.version] = compile_rules(spec, cls.nlp)
            if len(cls.compiled) > _CACHE_SIZE:
                while len(cls.compiled) > _CACHE_SIZE:
                    cls.compiled.popitem(last=False)
                _release_memory()
        cls.compiled.move_to_end(pinned.version)
        return cls.compiled[pinned.version]


def _run(
    pinned: Pinned, texts: Sequence[str], types: frozenset[str] | None, deadline: float | None, marker: str
) -> BatchResult:
    def expired() -> bool:
        return deadline is not None and time.time() > deadline

    def should_stop() -> bool:
        return expired() or os.path.exists(marker)

    running = Path(marker + ".pid")
    try:
        running.write_text(str(os.getpid()))
        if should_stop():
            raise Stopped()
        assert _Worker.nlp is not None
        return extract(_Worker.nlp, _Worker.rules(pinned), texts, types, should_stop=should_stop)
    except Stopped:
        raise DeadlineExpired() if expired() else Cancelled() from None
    finally:
        running.unlink(missing_ok=True)


def _prepare(pinned: Pinned, gate: str, size: int, wait: float) -> int:
    """Compile `pinned` here, then hold this worker until `size` workers have (so the pool's
    `size` prepare tasks land on different workers) or `wait` seconds have passed."""
    _Worker.rules(pinned)
    Path(gate, str(os.getpid())).touch()
    end = time.time() + wait
    with contextlib.suppress(FileNotFoundError):  # the pool gave up waiting and removed the gate
        while len(os.listdir(gate)) < size and time.time() < end:
            time.sleep(0.002)
    return os.getpid()


def _release_memory() -> None:
    """Give the memory of evicted rule sets back to the system (glibc keeps freed arenas)."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _ping() -> int:
    return os.getpid()


class WorkerPool:
    """Async facade over the process pool; replaces the pool when a worker dies or hangs."""

    def __init__(self, model: str, workers: int, max_call_seconds: float = 300.0, batch_delay: float = 0.0) -> None:
        self._model = model
        self._batch_delay = batch_delay
        self._gathering: dict[tuple[Pinned, frozenset[str] | None], _Gathered] = {}
        self._batches = 0  # gathered batches sent and not yet answered
        self._size = max(1, workers)
        self._max_call = max_call_seconds
        self._executor = self._new_executor()
        self._markers = Path(tempfile.mkdtemp(prefix="sitrep-cancel-"))
        self._deadlines: dict[Path, float] = {}
        self._killed: set[Path] = set()
        self._stopped_since: dict[int, float] = {}
        self._shot: set[int] = set()  # pids the watchdog killed (already logged and counted)
        self._ready = False
        self._watchdog: asyncio.Task[None] | None = None
        self._warming: asyncio.Task[list[int]] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.on_death: Callable[[str], None] = lambda reason: None

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

    def healthy(self) -> bool:
        """Every worker is up and answering (false while a replacement pool warms up)."""
        return self._ready and not self._stopped_since

    async def warm_up(self) -> list[int]:
        """Start every worker (model loaded) before the service reports SERVING."""
        loop = self._loop = asyncio.get_running_loop()
        executor = self._executor
        pids = await asyncio.gather(*(loop.run_in_executor(executor, _ping) for _ in range(self._size * 2)))
        self._ready = executor is self._executor
        if self._watchdog is None:
            self._watchdog = asyncio.create_task(self._watch())
        return sorted(set(pids))

    async def prepare(self, pinned: Pinned) -> int:
        """Have every worker compile `pinned` before callers can pin it; returns how many did in
        time. A worker busy with a long document is not waited for past about twice
        `PREPARE_WAIT`: it compiles on its first task of that version instead."""
        loop = asyncio.get_running_loop()
        gate = Path(tempfile.mkdtemp(dir=self._markers))
        args = (pinned, str(gate), self._size, PREPARE_WAIT)
        futures = [loop.run_in_executor(self._executor, _prepare, *args) for _ in range(self._size)]
        try:
            await asyncio.wait(futures, timeout=2 * PREPARE_WAIT)
            return len(os.listdir(gate))
        finally:
            for future in futures:
                future.cancel()  # still queued: dropped; running or done: unaffected
            shutil.rmtree(gate, ignore_errors=True)

    def prepare_from_thread(self, pinned: Pinned) -> None:
        """`prepare` for a reload thread (the manager's hook); never raises: a worker that did not
        compile the version in time compiles it on first use."""
        try:
            if self._loop is None:
                raise RuntimeError("the pool was not warmed up")
            ready = asyncio.run_coroutine_threadsafe(self.prepare(pinned), self._loop).result()
            log.info("rule set %s compiled in %d of %d workers before publishing", pinned.version, ready, self._size)
        except Exception:
            log.exception("preparing the workers for rule set %s failed", pinned.version)

    def pids(self) -> list[int]:
        processes = getattr(self._executor, "_processes", None) or {}
        return sorted(processes)

    async def extract(
        self, pinned: Pinned, texts: Sequence[str], types: frozenset[str] | None,
        deadline: float | None = None,
    ) -> BatchResult:  # fmt: skip
        """Extract on a worker. With a `batch_delay`, single documents that arrive within it for
        the same version and types go to one worker as one `nlp.pipe` batch (Triton's dynamic
        batcher): the batch runs until the latest of their deadlines, and each caller gets its own
        document back (the batch's stage and rule times go to the first)."""
        if self._batch_delay <= 0 or len(texts) != 1:
            return await self._submit(pinned, texts, types, deadline)
        key = (pinned, types)
        gathered = self._gathering.get(key)
        if gathered is None:
            gathered = self._gathering[key] = _Gathered()
            asyncio.get_running_loop().call_later(self._batch_delay, self._flush, key, gathered)
        future = gathered.add(texts[0], deadline if deadline is not None else time.time() + self._max_call)
        if len(gathered.texts) >= BATCH_MAX:
            self._flush(key, gathered)
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            future.cancel()
            for part in gathered.parts:
                if part.task is not None and all(f.done() for f in part.futures):
                    part.task.cancel()  # nobody waits for this batch any more
            raise

    def _flush(self, key: tuple[Pinned, frozenset[str] | None], gathered: _Gathered) -> None:
        """Send what was gathered for `key` (once), split over the idle workers: one batch for all
        of it would leave the other workers waiting while its callers are held (closed-loop clients
        send nothing new until answered). While every worker has a batch, keep gathering (the
        calls would only queue): a full batch goes at once, the rest when a batch ends."""
        if self._gathering.get(key) is not gathered:
            return
        if self._batches >= self._size and len(gathered.texts) < BATCH_MAX:
            return
        del self._gathering[key]
        for part in gathered.split(max(1, self._size - self._batches)):
            self._batches += 1
            part.task = asyncio.get_running_loop().create_task(
                self._submit(key[0], part.texts, key[1], max(part.deadlines))
            )
            part.task.add_done_callback(part.answer)
            part.task.add_done_callback(self._batch_done)

    def _batch_done(self, _task: asyncio.Task[BatchResult]) -> None:
        self._batches -= 1
        for key, gathered in list(self._gathering.items()):
            self._flush(key, gathered)

    async def _submit(
        self, pinned: Pinned, texts: Sequence[str], types: frozenset[str] | None,
        deadline: float | None = None,
    ) -> BatchResult:  # fmt: skip
        executor = self._executor
        marker = self._markers / uuid.uuid4().hex
        deadline = deadline if deadline is not None else time.time() + self._max_call
        try:
            future = executor.submit(_run, pinned, list(texts), types, deadline, str(marker))
        except BrokenProcessPool as exc:
            self._replace(executor, "died")
            raise WorkerLost() from exc
        # The watchdog watches the task until it ends, even after its caller was answered.
        self._deadlines[marker] = deadline
        future.add_done_callback(lambda _: self._forget(marker))
        try:
            timeout = max(0.0, deadline - time.time()) + OVERRUN_MARGIN
            return await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(future)), timeout)
        except TimeoutError:
            self._abandon(future, marker)
            raise Overran() from None
        except BrokenProcessPool as exc:
            self._replace(executor, "died")
            raise (Overran() if marker in self._killed else WorkerLost()) from exc
        except asyncio.CancelledError:
            self._abandon(future, marker)
            raise

    def _forget(self, marker: Path) -> None:
        """The task ended (runs in the executor's thread; dict operations are atomic)."""
        self._deadlines.pop(marker, None)
        self._killed.discard(marker)

    @staticmethod
    def _abandon(future: Future[BatchResult], marker: Path) -> None:
        """Nobody waits for this task any more: drop it if queued, else tell its worker to stop."""
        if future.cancel():
            return
        with contextlib.suppress(OSError):  # the pool is closing
            marker.touch()
        future.add_done_callback(lambda _: marker.unlink(missing_ok=True))

    def _replace(self, executor: ProcessPoolExecutor, reason: str) -> None:
        """Start a new pool in place of a broken one (once per broken pool), logging each death."""
        if self._executor is not executor:
            return
        processes = dict(getattr(executor, "_processes", None) or {})
        for pid, process in processes.items():
            code = process.exitcode
            if code == -signal.SIGTERM or pid in self._shot:
                continue  # the executor terminates the rest of a broken pool; the watchdog's own
            if code is not None and code < 0:
                log.error("worker %d died (signal %s); replacing the pool", pid, signal.Signals(-code).name)
                self.on_death(reason)
            elif code is not None:
                log.error("worker %d exited (code %d); replacing the pool", pid, code)
                self.on_death(reason)
        self._shot -= set(processes)
        self._ready = False
        self._stopped_since.clear()
        self._executor = self._new_executor()
        _kill(processes)
        executor.shutdown(wait=False, cancel_futures=True)
        self._warming = asyncio.get_running_loop().create_task(self.warm_up())  # kept: tasks are weak

    async def _watch(self) -> None:
        """Kill workers busy past a deadline or stopped for long, replace a broken pool."""
        while True:
            await asyncio.sleep(WATCH_INTERVAL)
            try:
                self._check()
            except Exception:  # the watchdog must outlive any surprise
                log.exception("worker watchdog failed")

    def _check(self) -> None:
        executor = self._executor
        now = time.time()
        for marker, deadline in list(self._deadlines.items()):
            if now > deadline + OVERRUN_MARGIN and marker not in self._killed:
                pid = _read_pid(marker)
                if pid is not None:
                    log.error("worker %d still busy %.0fs past a deadline; killing it", pid, now - deadline)
                    self._killed.add(marker)
                    self._shoot(pid, "overran")
        processes = dict(getattr(executor, "_processes", None) or {})
        for pid in processes:
            if _state(pid) in {"T", "t"}:
                since = self._stopped_since.setdefault(pid, now)
                if now - since > OVERRUN_MARGIN:
                    log.error("worker %d stopped for %.0fs; killing it", pid, now - since)
                    self._shoot(pid, "stopped")
            else:
                self._stopped_since.pop(pid, None)
        dead = any(p.exitcode is not None for p in processes.values())
        if dead or getattr(executor, "_broken", False):
            self._replace(executor, "died")

    async def stop(self, timeout: float = 5.0) -> None:
        """Stop the watchdog, then the workers (see `close`)."""
        if self._watchdog is not None:
            self._watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watchdog
        await asyncio.to_thread(self.close, timeout)

    def _shoot(self, pid: int, reason: str) -> None:
        if pid not in self._shot:
            self._shot.add(pid)
            self.on_death(reason)
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)

    def close(self, timeout: float = 5.0) -> None:
        """Stop the workers: give them `timeout` seconds to finish, then kill them (a hung or
        stopped worker must not keep the process from exiting)."""
        processes = dict(getattr(self._executor, "_processes", None) or {})
        self._executor.shutdown(wait=False, cancel_futures=True)
        end = time.time() + timeout
        for process in processes.values():
            process.join(max(0.0, end - time.time()))
        _kill(processes)
        shutil.rmtree(self._markers, ignore_errors=True)


class _Gathered:
    """Single-document calls waiting to be sent together, and each caller's future."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.deadlines: list[float] = []
        self.futures: list[asyncio.Future[BatchResult]] = []
        self.task: asyncio.Task[BatchResult] | None = None
        self.parts: list[_Gathered] = []  # the batches it was sent as

    def split(self, n: int) -> list[_Gathered]:
        """Up to `n` batches of consecutive calls, as even as the count allows."""
        n = max(1, min(n, len(self.texts)))
        bounds = [len(self.texts) * i // n for i in range(n + 1)]
        for start, end in itertools.pairwise(bounds):
            part = _Gathered()
            part.texts, part.deadlines = self.texts[start:end], self.deadlines[start:end]
            part.futures = self.futures[start:end]
            self.parts.append(part)
        return self.parts

    def add(self, text: str, deadline: float) -> asyncio.Future[BatchResult]:
        future: asyncio.Future[BatchResult] = asyncio.get_running_loop().create_future()
        self.texts.append(text)
        self.deadlines.append(deadline)
        self.futures.append(future)
        return future

    def answer(self, task: asyncio.Task[BatchResult]) -> None:
        """Hand each caller its document, or the batch's failure."""
        error = None if task.cancelled() else task.exception()
        for i, future in enumerate(self.futures):
            if future.done():
                continue
            if task.cancelled():
                future.cancel()
            elif error is not None:
                future.set_exception(error)
            else:
                result = task.result()
                times = (result.stage_seconds, result.rule_seconds) if i == 0 else ({}, {})
                future.set_result(BatchResult([result.docs[i]], *times))


def _kill(processes: dict[int, multiprocessing.process.BaseProcess]) -> None:
    for process in processes.values():
        if process.is_alive():
            process.kill()
            process.join(5)


def _read_pid(marker: Path) -> int | None:
    try:
        return int(Path(str(marker) + ".pid").read_text())
    except (OSError, ValueError):
        return None


def _state(pid: int) -> str:
    """The process state letter from /proc (R running, S sleeping, T stopped, Z zombie)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return ""


def publish_spec(spec: RuleSetSpec, directory: Path) -> Pinned:
    """Write a spec where workers can read it; the name is its version, the write atomic."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{spec.version}.pickle"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(pickle.dumps(spec))
        tmp.replace(path)
    return Pinned(spec.version, str(path))
