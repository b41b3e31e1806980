"""Why a rule did or did not fire: tokens, entities, every candidate with its role spans and its
fate (kept, lost to another rule in overlap resolution, negated, shadow, a veto), the events, and
the near miss of each rule that found nothing (`service.authoring.nearmiss`).

One function for `sitrep explain` (in-process), the `Explain` RPC and the playground page; it
reads the Doc through the same engine steps as extraction (find, negation, growth, resolution)
and returns plain records, offsets in code points.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from spacy.language import Language
from spacy.tokens import Doc

from service.authoring.nearmiss import NearMiss, near_misses
from service.engine.compiled import CompiledRuleSet
from service.engine.extractor import grow_candidate, process_doc
from service.engine.matching import Candidate, find_candidates
from service.engine.resolve import Grown, is_negated, resolve_overlaps, vetoed_type, without_denied_roles
from service.events.lexicons import EngineLexicons
from service.events.model import DocResult, Suppressed

Fate = Literal["kept", "lost", "negated", "shadow", "veto"]


@dataclass(frozen=True, slots=True)
class TokenView:
    i: int
    text: str
    start: int
    end: int
    lower: str
    lemma: str
    pos: str
    tag: str
    dep: str
    head: int
    ent_type: str
    like_num: bool


@dataclass(frozen=True, slots=True)
class EntityView:
    label: str
    text: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class RoleView:
    role: str
    text: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class CandidateView:
    rule_id: str
    event: str
    text: str
    start: int
    end: int
    roles: tuple[RoleView, ...]
    fate: Fate
    winner: str = ""  # the rule it lost to (or the veto that ruled it out)
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Explanation:
    version: str
    tokens: list[TokenView]
    entities: list[EntityView]
    candidates: list[CandidateView]
    near_misses: list[NearMiss]
    result: DocResult
    attrs: frozenset[str]  # token attributes the rules read (the CLI shows those columns)
    rule_seconds: dict[str, float]  # CPU time per rule on this text (`BatchResult.rule_seconds`)


def _chars(doc: Doc, start: int, end: int) -> tuple[int, int]:
    return doc[start].idx, doc[end - 1].idx + len(doc[end - 1])


def _tokens(doc: Doc) -> list[TokenView]:
    return [
        TokenView(t.i, t.text, t.idx, t.idx + len(t), t.lower_, t.lemma_, t.pos_, t.tag_, t.dep_, t.head.i,
                  t.ent_type_, bool(t.like_num))
        for t in doc
    ]  # fmt: skip


def _fates(
    doc: Doc, candidates: list[Candidate], keep_vetoes: bool, words: EngineLexicons
) -> dict[int, tuple[Fate, str, str]]:
    """Each candidate's fate by its position in `candidates`, resolving overlaps as extraction does."""
    fates: dict[int, tuple[Fate, str, str]] = {}
    live: list[Grown] = []
    shadow: list[Grown] = []
    grown: dict[int, Grown] = {}
    for n, candidate in enumerate(candidates):
        if candidate.rule.negation == "drop" and is_negated(doc, candidate, words):
            fates[n] = ("negated", "", "a negation governs its anchor")
            continue
        grown[n] = grow_candidate(doc, candidate)
        (shadow if candidate.rule.status == "shadow" else live).append(grown[n])
    _, lost = resolve_overlaps(live, doc, keep_vetoes=keep_vetoes)
    _, shadow_lost = resolve_overlaps(shadow, doc)
    by_span: dict[tuple[str, int, int], Suppressed] = {(s.rule_id, s.start, s.end): s for s in lost + shadow_lost}
    for n, item in grown.items():
        key = (item.rule_id, *without_denied_roles(item, doc).char_span(doc))
        loss = by_span.get(key)
        if item.candidate.rule.status == "shadow":
            fates[n] = ("shadow", loss.winner if loss else "", loss.reason if loss else "")
        elif loss is not None:
            fates[n] = ("lost", loss.winner, loss.reason)
        elif vetoed_type(item) and not keep_vetoes:
            fates[n] = ("veto", "", f"rules out {item.candidate.rule.event} events anchored on its words")
        else:
            fates[n] = ("kept", "", "")
    return fates


def _candidates(doc: Doc, candidates: list[Candidate], keep_vetoes: bool, words: EngineLexicons) -> list[CandidateView]:
    fates = _fates(doc, candidates, keep_vetoes, words)
    views = []
    for n, candidate in enumerate(candidates):
        grown = grow_candidate(doc, candidate)
        roles = tuple(RoleView(role, doc[s:e].text, *_chars(doc, s, e)) for role, (s, e) in grown.spans.items())
        start, end = _chars(doc, grown.start, grown.end)
        views.append(CandidateView(candidate.rule.id, candidate.rule.event, doc.text[start:end], start, end,
                                   roles, *fates[n]))  # fmt: skip
    return views


def explain(nlp: Language, compiled: CompiledRuleSet, text: str, rule: str | None = None) -> Explanation:
    """Explain `text` under `compiled`, or under one of its rules alone (`rule`: its own overlap
    resolution and vetoes, as its examples run)."""
    runnable = [r for r in compiled.spec.runnable if rule is None or r.id == rule]
    attrs = frozenset(attr for r in runnable for attr in r.attrs)
    with nlp.memory_zone():
        doc = nlp(text, disable=list(compiled.plan.disabled))
        found = [c for c in find_candidates(doc, compiled) if rule is None or c.rule.id == rule]
        fired = {c.rule.id for c in found}
        views = _candidates(doc, found, rule is not None, compiled.spec.lexicons)
        misses = near_misses(doc, [r for r in runnable if r.id not in fired], compiled.spec.contexts)
        entities = [EntityView(e.label_, e.text, e.start_char, e.end_char) for e in doc.ents]
        rule_seconds: dict[str, float] = {}
        result = process_doc(doc, compiled, only_rule=rule, rule_seconds=rule_seconds)
        tokens = _tokens(doc)
    if rule is not None:
        rule_seconds = {rule: rule_seconds[rule]} if rule in rule_seconds else {}
    return Explanation(compiled.version, tokens, entities, views, misses, result, attrs, rule_seconds)
