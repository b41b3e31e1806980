"""The rule-set manager: the single owner of the published RuleSet (TF Serving's aspired versions).

A reload reads one snapshot of the files, validates, compiles and runs every example beside the
serving version; only a fully proven version is published, by one reference assignment. Any
failure leaves the serving version untouched and is kept in `last_reload` for GetRuleSet, logs
and metrics. Reloads are serialised; readers never lock (they read one reference).
"""

from __future__ import annotations

import logging
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from spacy.language import Language

from service.authoring.examples import run_examples
from service.engine.compiled import CompiledRuleSet, compile_rules
from service.engine.pipeline import model_components
from service.engine.pool import Pinned, publish_spec
from service.rules.errors import RuleError, RuleSetError
from service.rules.loader import Snapshot, load_snapshot, read_snapshot

log = logging.getLogger("sitrep.reload")


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
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def build(self, snapshot: Snapshot) -> CompiledRuleSet:
        """Validate, compile and prove a snapshot. Raises RuleSetError with every problem."""
        spec = load_snapshot(snapshot, model_components(self.nlp))
        compiled = compile_rules(spec, self.nlp)
        failures = [r for r in run_examples(self.nlp, compiled) if not r.passed]
        if failures:
            errors = [
                RuleError(r.rule.file, r.example.line, 1, r.rule.id, f"example failed: {r.problem}") for r in failures
            ]
            raise RuleSetError(errors, spec.version)
        return compiled

    def reload(self, force: bool = False) -> ReloadOutcome:
        """Re-read the directory; publish when its content changed and proves out."""
        with self._lock:
            snapshot = read_snapshot(self.rules_dir)
            now = time.time()
            if not force and self.current and snapshot.version == self.current.version:
                if self.last_reload is None or self.last_reload.success:
                    return self.last_reload or ReloadOutcome(True, now, snapshot.version)
                # The files went back to what is serving: the earlier failure no longer applies.
                return self._finish(ReloadOutcome(True, now, snapshot.version))
            last = self.last_reload
            if not force and last and not last.success and last.attempted_version == snapshot.version:
                return last  # already refused these exact files; wait for the next edit
            try:
                if not snapshot.files:
                    raise RuleSetError(
                        [RuleError(str(self.rules_dir), 1, 1, "", "no rule files found")],
                        snapshot.version,
                    )
                compiled = self.build(snapshot)
            except RuleSetError as exc:
                outcome = ReloadOutcome(False, now, snapshot.version, tuple(map(str, exc.errors)))
                for line in outcome.errors:
                    log.error("rule reload refused: %s", line)
            else:
                changed = self.current is None or self.current.version != compiled.version
                pinned = publish_spec(compiled.spec, self.spec_dir)
                self.current = Published(compiled, pinned, now)  # the swap
                outcome = ReloadOutcome(True, now, compiled.version, changed=changed)
                log.info("serving rule set %s (%d rules)", compiled.version, len(compiled.spec.rules))
            return self._finish(outcome)

    def _finish(self, outcome: ReloadOutcome) -> ReloadOutcome:
        self.last_reload = outcome
        for listener in self.listeners:
            listener(outcome, self.current)
        return outcome
