"""The rule-set manager: the single owner of the published RuleSet (TF Serving's aspired versions).

A reload reads one snapshot of the files, validates, compiles and runs every example beside the
serving version (example Docs and unchanged rules' results are reused, see `ExampleCache`); only a
fully proven version is published, after `prepare` has had the workers compile it, by one
reference assignment. Any
failure leaves the serving version untouched and is kept in `last_reload` for GetRuleSet, logs
and metrics. Reloads are serialised; readers never lock (they read one reference).
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from spacy.language import Language

from service.authoring.examples import EXAMPLE_BUDGET, ExampleCache, over_budget, run_examples
from service.engine.compiled import CompiledRuleSet, compile_rules
from service.engine.pipeline import model_components
from service.engine.pool import Pinned, publish_spec
from service.errors import E
from service.rules.errors import RuleError, RuleSetError
from service.rules.loader import Snapshot, load_snapshot, read_snapshot

log = logging.getLogger("sitrep.reload")
KEEP_SPECS = 8


@dataclass(frozen=True, slots=True)
class Published:
    """An immutable, proven rule set and when it started serving."""

    compiled: CompiledRuleSet
    pinned: Pinned
    loaded_at: float

    @property
    def version(self) -> str:
        return self.compiled.version


@dataclass(frozen=True, slots=True)
class ReloadOutcome:
    success: bool
    at: float
    attempted_version: str
    errors: tuple[str, ...] = ()
    changed: bool = False


@dataclass
class RuleSetManager:
    """Owns `current`; `reload()` may be called from any thread."""

    rules_dir: Path
    nlp: Language
    spec_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="sitrep-rules-")))
    listeners: list[Callable[[ReloadOutcome, Published | None], None]] = field(default_factory=list)
    current: Published | None = None
    last_reload: ReloadOutcome | None = None
    prepare: Callable[[Pinned], None] = lambda pinned: None
    """Called with a proven version before it is published (the server has the workers compile it)."""
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _examples: ExampleCache = field(init=False)

    def __post_init__(self) -> None:
        self._examples = ExampleCache(self.nlp)

    def build(self, snapshot: Snapshot) -> CompiledRuleSet:
        """Validate, compile and prove a snapshot. Raises RuleSetError with every problem.

        A rule whose examples take longer than `EXAMPLE_BUDGET` is refused too: its cost on real
        documents would be of the same order."""
        t0 = time.perf_counter()
        spec = load_snapshot(snapshot, model_components(self.nlp), disk_cache=True)
        t1 = time.perf_counter()
        compiled = compile_rules(spec, self.nlp)
        t2 = time.perf_counter()
        results = run_examples(self.nlp, compiled, self._examples)
        log.info(
            "rule set %s: loaded in %.2f s, compiled in %.2f s, examples in %.2f s",
            spec.version, t1 - t0, t2 - t1, time.perf_counter() - t2,
        )  # fmt: skip
        errors = [
            RuleError(r.rule.file, r.example.line, 1, r.rule.id, f"example failed: {r.problem}")
            for r in results
            if not r.passed
        ]
        errors += over_budget(results, EXAMPLE_BUDGET)
        if errors:
            raise RuleSetError(errors, spec.version)
        return compiled

    def reload(self, force: bool = False) -> ReloadOutcome:
        """Re-read the directory; publish when its content changed and proves out.

        Never raises: any failure (an unreadable file, a bug) is a refused reload, kept and counted
        like a rule error, so hot reload and start-up carry on with what is serving."""
        with self._lock:
            now = time.time()
            try:
                return self._reload(force, now)
            except Exception as exc:
                log.exception("rule reload failed unexpectedly")
                error = RuleError(str(self.rules_dir), 1, 1, "", E.R190.format(kind=type(exc).__name__))
                last = self.last_reload
                if not force and last and not last.success and last.errors == (str(error),):
                    return last  # the same failure as at the last poll: counted once
                return self._finish(ReloadOutcome(False, now, "", (str(error),)))

    def _reload(self, force: bool, now: float) -> ReloadOutcome:
        snapshot = read_snapshot(self.rules_dir)
        last = self.last_reload
        if not force and last and last.attempted_version == snapshot.version:
            return last  # nothing changed since these exact files were judged
        if not force and self.current and snapshot.version == self.current.version:
            # The files went back to what is serving: the earlier failure no longer applies.
            return self._finish(ReloadOutcome(True, now, snapshot.version))
        errors = snapshot.refused_errors()
        compiled = None
        try:
            if not snapshot.files:
                raise RuleSetError([RuleError(str(self.rules_dir), 1, 1, "", "no rule files found")])
            compiled = self.build(snapshot)
        except RuleSetError as exc:
            errors += exc.errors
        if errors or compiled is None:
            outcome = ReloadOutcome(False, now, snapshot.version, tuple(map(str, sorted(errors))))
            for line in outcome.errors:
                log.error("rule reload refused: %s", line)
            return self._finish(outcome)
        changed = self.current is None or self.current.version != compiled.version
        t0 = time.perf_counter()
        pinned = publish_spec(compiled.spec, self.spec_dir)
        self.prepare(pinned)
        log.info("rule set %s: workers prepared in %.2f s", compiled.version, time.perf_counter() - t0)
        self.current = Published(compiled, pinned, now)  # the swap
        self._prune()
        log.info("serving rule set %s (%d rules)", compiled.version, len(compiled.spec.rules))
        ignored = tuple(str(error) for error in snapshot.ignored_errors())
        for line in ignored:
            log.error("rule file ignored: %s", line)
        # Published without the ignored files, but not a success: the failure stays counted and
        # shown until the files are renamed.
        return self._finish(ReloadOutcome(not ignored, now, compiled.version, ignored, changed=changed))

    def _prune(self) -> None:
        """Keep the specs of the last few versions (requests pinned to them may still be queued)."""
        if self.current is not None:
            Path(self.current.pinned.spec_path).touch()  # a version published again counts as new
        specs = sorted(self.spec_dir.glob("*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in specs[KEEP_SPECS:]:
            old.unlink(missing_ok=True)

    @contextmanager
    def pipeline(self) -> Iterator[Language]:
        """The front process's pipeline, held against reloads: the `Explain` RPC parses with it,
        and two spaCy memory zones on one vocab must not interleave."""
        with self._lock:
            yield self.nlp

    def close(self) -> None:
        """Remove the published specs (the server is stopping and its workers are gone)."""
        shutil.rmtree(self.spec_dir, ignore_errors=True)

    def _finish(self, outcome: ReloadOutcome) -> ReloadOutcome:
        self.last_reload = outcome
        for listener in self.listeners:
            listener(outcome, self.current)
        return outcome
