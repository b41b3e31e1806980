"""Run every rule's examples (Duckling-style: the examples beside a rule are its test).

Each example text runs through the real pipeline with the rule alone (its own overlap
resolution and negation apply, other rules' do not). The produced events must match the
expected list one to one: every expected role value equals the event's, and no event is extra.

An `ExampleCache` makes a reload cost what changed: an example's Doc depends only on its text and
the pipeline components that run, and a rule's results only on the rule, the pack's declared
types and those Docs, so a reload parses only new texts and runs only changed rules.
"""

from __future__ import annotations

import pickle
import time
from collections.abc import Sequence
from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc

from service.engine.compiled import CompiledRuleSet, narrow
from service.engine.extractor import process_doc
from service.errors import E
from service.events.model import Event
from service.rules.errors import RuleError
from service.rules.schema import Example, RuleSpec

Summary = dict[str, str | int | float]
EXAMPLE_BUDGET = 5.0
"""Seconds one rule's examples may take, in a reload or a draft: a rule slower than that on its
examples would cost as much on real documents."""


@dataclass(frozen=True, slots=True)
class ExampleResult:
    rule: RuleSpec
    example: Example
    actual: tuple[Summary, ...]
    problem: str  # "" when it passed
    seconds: float = 0.0  # time to extract all of its rule's examples (the reload's cost budget)

    @property
    def passed(self) -> bool:
        return not self.problem

    def describe(self) -> str:
        """A readable failure: where, what was expected, what came out."""
        lines = [
            f"{self.rule.file}:{self.example.line}: rule {self.rule.id}: {self.problem}",
            f"  text:     {self.example.text}",
            f"  expected: {list(self.example.expect)}",
            f"  actual:   {list(self.actual)}",
        ]
        return "\n".join(lines)


def summarize(event: Event) -> Summary:
    """An event as the flat role → value mapping examples are written in."""
    out: Summary = {role: m.text for role, m in event.roles.items()}
    for role, quantity in event.quantities.items():
        out[role] = quantity.min
    out.update(event.attrs)
    return out


def _value_matches(expected: str | int | float, event: Event, role: str) -> bool:
    if role in event.quantities:
        quantity = event.quantities[role]
        if isinstance(expected, int | float) and not isinstance(expected, bool):
            return quantity.min == expected
        return str(expected).lower() in {quantity.text.lower(), quantity.qualifier.lower()}
    if role in event.attrs:
        return str(expected).upper() == event.attrs[role]
    mention = event.roles.get(role)
    if mention is None:
        return False
    wanted = str(expected).lower()
    return wanted in {mention.text.lower(), mention.resolved.lower()}


def _matches(expect: dict[str, str | int | float], event: Event) -> bool:
    return all(_value_matches(value, event, role) for role, value in expect.items())


def judge(example: Example, events: list[Event]) -> str:
    """'' when the events satisfy the example, else what is wrong."""
    remaining = list(events)
    for i, expect in enumerate(example.expect):
        found = next((e for e in remaining if _matches(expect, e)), None)
        if found is None:
            return f"expected event {i + 1} not found" if remaining else "no event produced"
        remaining.remove(found)
    if remaining:
        return f"{len(remaining)} unexpected event(s)"
    return ""


class ExampleCache:
    """Parsed example Docs and per-rule results of one pipeline, kept for the next run.

    The Docs are made outside any memory zone (they outlive a call); the caller serialises use of
    the pipeline. Each run keeps only what it used, so the cache holds one pack's examples."""

    def __init__(self, nlp: Language) -> None:
        self.nlp = nlp
        self._docs: dict[tuple[tuple[str, ...], str], Doc] = {}
        self._results: dict[bytes, list[ExampleResult]] = {}

    def run(self, compiled: CompiledRuleSet) -> list[ExampleResult]:
        disabled = tuple(sorted(compiled.plan.disabled))
        rules = [rule for rule in compiled.spec.runnable if rule.examples]
        docs = self._parse(disabled, [example.text for rule in rules for example in rule.examples])
        results: dict[bytes, list[ExampleResult]] = {}
        for rule in rules:
            key = pickle.dumps((disabled, compiled.spec.event_types, rule))
            found = self._results.get(key)
            results[key] = found if found is not None else _run_rule(self.nlp, compiled, rule, docs)
        self._results = results
        return [result for found in results.values() for result in found]

    def _parse(self, disabled: tuple[str, ...], texts: Sequence[str]) -> dict[str, Doc]:
        missing = sorted({text for text in texts if (disabled, text) not in self._docs})
        for text, doc in zip(missing, self.nlp.pipe(missing, disable=list(disabled)), strict=True):
            self._docs[(disabled, text)] = doc
        self._docs = {(disabled, text): self._docs[(disabled, text)] for text in texts}
        return {text: doc for (_, text), doc in self._docs.items()}


def _run_rule(nlp: Language, compiled: CompiledRuleSet, rule: RuleSpec, docs: dict[str, Doc]) -> list[ExampleResult]:
    t0 = time.perf_counter()
    alone = narrow(compiled, rule, nlp)
    found = [process_doc(docs[example.text], alone, only_rule=rule.id) for example in rule.examples]
    seconds = time.perf_counter() - t0
    return [
        ExampleResult(rule, example, tuple(summarize(e) for e in doc.events), judge(example, doc.events), seconds)
        for example, doc in zip(rule.examples, found, strict=True)
    ]


def run_examples(nlp: Language, compiled: CompiledRuleSet, cache: ExampleCache | None = None) -> list[ExampleResult]:
    """Every example of every active or shadow rule, in pack order. Without a cache the Docs
    live in a memory zone that ends with the call."""
    if cache is not None:
        return cache.run(compiled)
    with nlp.memory_zone():
        return ExampleCache(nlp).run(compiled)


def over_budget(results: list[ExampleResult], budget: float = EXAMPLE_BUDGET) -> list[RuleError]:
    """One R402 error per rule whose examples took longer than `budget` seconds."""
    slow = {r.rule.id: r for r in results if r.seconds > budget}
    return [
        RuleError(r.rule.file, r.rule.line, 1, r.rule.id, E.R402.format(seconds=f"{r.seconds:.1f}", budget=budget))
        for r in slow.values()
    ]
