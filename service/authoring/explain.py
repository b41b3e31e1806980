"""Why a rule did or did not fire: tokens, candidates with role spans, negation, overlap losers."""

from __future__ import annotations

from dataclasses import dataclass

from spacy.language import Language

from service.engine.compiled import CompiledRuleSet
from service.engine.extractor import grow_candidate, process_doc
from service.engine.matching import find_candidates
from service.engine.resolve import is_negated
from service.events.model import DocResult

TOKEN_ATTRS = ("LOWER", "LEMMA", "POS", "TAG", "DEP", "HEAD", "ENT_TYPE", "LIKE_NUM")


@dataclass(frozen=True, slots=True)
class CandidateView:
    rule_id: str
    event: str
    text: str
    roles: dict[str, str]
    negated: bool


@dataclass(frozen=True, slots=True)
class Explanation:
    columns: tuple[str, ...]
    tokens: list[tuple[str, ...]]
    candidates: list[CandidateView]
    result: DocResult


def explain(nlp: Language, compiled: CompiledRuleSet, text: str, rule: str | None = None) -> Explanation:
    used = {attr for r in compiled.spec.runnable for attr in r.attrs}
    columns = ("i", "TEXT", *(a for a in TOKEN_ATTRS if a in used or a in {"LOWER"}))
    with nlp.memory_zone():
        doc = nlp(text, disable=list(compiled.plan.disabled))
        rows = []
        for tok in doc:
            values = {
                "i": str(tok.i), "TEXT": tok.text, "LOWER": tok.lower_, "LEMMA": tok.lemma_,
                "POS": tok.pos_, "TAG": tok.tag_, "DEP": tok.dep_, "HEAD": str(tok.head.i),
                "ENT_TYPE": tok.ent_type_, "LIKE_NUM": str(tok.like_num),
            }  # fmt: skip
            rows.append(tuple(values[c] for c in columns))
        views = []
        for candidate in find_candidates(doc, compiled):
            if rule is not None and candidate.rule.id != rule:
                continue
            grown = grow_candidate(doc, candidate)
            views.append(
                CandidateView(
                    candidate.rule.id, candidate.rule.event, doc[grown.start : grown.end].text,
                    {role: doc[s:e].text for role, (s, e) in grown.spans.items()},
                    candidate.rule.negation == "drop" and is_negated(doc, candidate),
                )
            )  # fmt: skip
        result = process_doc(doc, compiled, only_rule=rule)
    return Explanation(columns, rows, views, result)
