"""Run one rule pack over gold documents: load, compile, extract with nlp.pipe batches, score."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from spacy.language import Language

from service.authoring.evaluation.gold import GoldDoc
from service.authoring.evaluation.match import Counts, Scorecard, score_doc
from service.engine.compiled import compile_rules
from service.engine.extractor import extract
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


Predictions = tuple[str, tuple[str, ...], list[list[Event]], float, dict[str, EventType]]


def predict(nlp: Language, rules: Path, docs: list[GoldDoc]) -> Predictions:
    """(pack version, runnable rule ids, events per document, extraction seconds, event types)."""
    spec = load_rules(rules, model_components(nlp))
    compiled = compile_rules(spec, nlp)
    result = extract(nlp, compiled, [doc.text for doc in docs], batch_size=BATCH_SIZE)
    ids = tuple(rule.id for rule in spec.runnable)
    seconds = sum(result.stage_seconds.values())
    return spec.version, ids, [d.events for d in result.docs], seconds, spec.types


def evaluate(nlp: Language, rules: Path, docs: list[GoldDoc]) -> PackRun:
    version, ids, events, seconds, types = predict(nlp, rules, docs)
    card, halves = Scorecard(), (Scorecard(), Scorecard())
    middle = (len(docs) + 1) // 2
    for index, (doc, found) in enumerate(zip(docs, events, strict=True)):
        score_doc(card, doc, found, types)
        score_doc(halves[index >= middle], doc, found, types)
    for rule_id in ids:
        card.rules.setdefault(rule_id, Counts())  # silent rules get a row too
    return PackRun(rules, version, ids, card, seconds, halves)


def sample(docs: list[GoldDoc], limit: int | None) -> list[GoldDoc]:
    """At most `limit` documents spread evenly over the file (deterministic)."""
    if limit is None or limit <= 0 or limit >= len(docs):
        return docs
    step = len(docs) / limit
    return [docs[int(i * step)] for i in range(limit)]
