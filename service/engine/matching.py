"""Run the compiled matchers over a Doc and turn each match into a Candidate with role tokens.

Before matching, proper-noun lemmas are normalised (`normalise_proper_lemmas`): the English
lemmatizer returns a PROPN's text unchanged ("Bombings", "Americans"), so the lower-case lemma
lists of the rules (`LEMMA: {IN: $attack_nouns}`) would never match a capitalised word in a
title-case headline or a nationality ("Two Americans were killed").
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from spacy.tokens import Doc

from service.engine.compiled import CompiledRuleSet
from service.rules.schema import RuleSpec


@dataclass(frozen=True, slots=True)
class Candidate:
    """A rule match before role growth: each role's matched token indices."""

    rule: RuleSpec
    tokens: dict[str, tuple[int, ...]]
    start: int  # first matched token
    end: int  # one past the last matched token


_KEEP_S = ("ss", "us", "is", "ics")


def proper_lemma(text: str) -> str:
    """A proper noun's lemma as a common noun's would be: lower case, regular plural removed
    ("Bombings" → "bombing", "Casualties" → "casualty", "Americans" → "american")."""
    lower = text.lower()
    if len(lower) > 4 and lower.endswith("ies"):
        return lower[:-3] + "y"
    if len(lower) > 4 and lower.endswith(("sses", "shes", "ches", "xes")):
        return lower[:-2]
    if len(lower) > 3 and lower.endswith("s") and not lower.endswith(_KEEP_S) and lower[-2].isalpha():
        return lower[:-1]
    return lower


def normalise_proper_lemmas(doc: Doc) -> None:
    """Give every PROPN token a lower-case, singular lemma (in place; idempotent)."""
    for token in doc:
        if token.pos_ == "PROPN" and token.lemma_ and token.lemma_[0].isupper():
            token.lemma_ = proper_lemma(token.lemma_)


def find_candidates(doc: Doc, compiled: CompiledRuleSet) -> list[Candidate]:
    normalise_proper_lemmas(doc)
    found: list[Candidate] = []
    if len(compiled.matcher):
        for key, start, end, alignments in compiled.matcher(doc, with_alignments=True):  # type: ignore[misc]
            rule = compiled.rules[key]
            roles: dict[str, list[int]] = defaultdict(list)
            for offset, index in enumerate(alignments):
                role = rule.token_roles[index]
                if role is not None:
                    roles[role].append(start + offset)
            found.append(_candidate(rule, roles, range(start, end)))
    if len(compiled.dependency) and doc.has_annotation("DEP"):
        for key, token_ids in compiled.dependency(doc):
            rule = compiled.rules[key]
            roles = defaultdict(list)
            for node, token in zip(rule.pattern, token_ids, strict=True):
                if not node["RIGHT_ID"].startswith("_"):
                    roles[node["RIGHT_ID"]].append(token)
            found.append(_candidate(rule, roles, token_ids))
    for phrase_matcher in compiled.phrases.values():
        if len(phrase_matcher):
            for key, start, end in phrase_matcher(doc):
                rule = compiled.rules[key]
                found.append(_candidate(rule, {rule.phrase_role: list(range(start, end))}, range(start, end)))
    return found


def _candidate(rule: RuleSpec, roles: dict[str, list[int]], span: range | list[int]) -> Candidate:
    tokens = {role: tuple(sorted(set(ids))) for role, ids in roles.items()}
    return Candidate(rule, tokens, min(span), max(span) + 1)
