"""Run one rule pack over gold documents: load, compile, extract with nlp.pipe batches, score."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from spacy.language import Language

from service.authoring.evaluation.doccache import parsed_docs
from service.authoring.evaluation.gold import GoldDoc
from service.authoring.evaluation.match import Counts, Scorecard, score_doc
from service.engine.compiled import compile_rules
from service.engine.extractor import STAGES, process_doc
from service.engine.pipeline import model_components
from service.events.model import Event
from service.events.registry import EventType
from service.rules.loader import load_rules

BATCH_SIZE = 16


@dataclass(frozen=True, slots=True)
class PackRun:
    rules: Path
    version: str
    rule_ids: tuple[str, ...]
    card: Scorecard
    seconds: float
    halves: tuple[Scorecard, Scorecard]
    """The first and second half of the gold file by record order, scored apart: a change that
    only helps the half its author looked at shows up as a gap between them."""
    events: list[list[Event]]
    """What the pack found in each unit, in record order (`sitrep eval --dump`)."""


Predictions = tuple[str, tuple[str, ...], list[list[Event]], float, dict[str, EventType]]


def predict(nlp: Language, rules: Path, docs: list[GoldDoc], doc_cache: Path | None = None) -> Predictions:
    """(pack version, runnable rule ids, events per document, extraction seconds, event types).

    With `doc_cache`, parsed Docs come from (and go to) that directory, and the seconds count
    reading them instead of parsing; the events are `extract`'s (tests/test_eval_doc_cache.py)."""
    spec = load_rules(rules, model_components(nlp))
    compiled = compile_rules(spec, nlp)
    ids = tuple(rule.id for rule in spec.runnable)
    timings = dict.fromkeys(STAGES, 0.0)
    started = time.perf_counter()
    parsed = parsed_docs(nlp, [doc.text for doc in docs], compiled.plan.disabled, BATCH_SIZE, doc_cache)
    timings["nlp"] = time.perf_counter() - started
    events = [process_doc(doc, compiled, timings=timings).events for doc in parsed]
    return spec.version, ids, events, sum(timings.values()), spec.types


def evaluate(nlp: Language, rules: Path, docs: list[GoldDoc], doc_cache: Path | None = None) -> PackRun:
    version, ids, events, seconds, types = predict(nlp, rules, docs, doc_cache)
    card, halves = Scorecard(), (Scorecard(), Scorecard())
    middle = (len(docs) + 1) // 2
    for index, (doc, found) in enumerate(zip(docs, events, strict=True)):
        score_doc(card, doc, found, types)
        score_doc(halves[index >= middle], doc, found, types)
    for rule_id in ids:
        card.rules.setdefault(rule_id, Counts())  # silent rules get a row too
    return PackRun(rules, version, ids, card, seconds, halves, events)


def sample(docs: list[GoldDoc], limit: int | None) -> list[GoldDoc]:
    """At most `limit` documents spread evenly over the file (deterministic)."""
    if limit is None or limit <= 0 or limit >= len(docs):
        return docs
    step = len(docs) / limit
    return [docs[int(i * step)] for i in range(limit)]
