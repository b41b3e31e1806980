"""Run the compiled matchers over a Doc and turn each match into a Candidate with role tokens.

Before matching, capitalised lemmas are normalised (`normalise_proper_lemmas`): the English
lemmatizer returns a PROPN's text unchanged ("Bombings", "Americans") and keeps the capital of
some sentence-initial words ("Police"), so the lower-case lemma lists of the rules
(`LEMMA: {IN: $attack_nouns}`) would never match a capitalised word in a title-case headline, a
nationality ("Two Americans were killed") or a sentence's first word.

A rule that names a document context (`context:`) keeps its matches only in documents of that
kind (`contexts.present`).

A pattern token with `OP: "!"` (a token that must not match, e.g. `accidental` before
`explosion`) constrains the match but is not part of the candidate's extent.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from spacy.attrs import LEMMA
from spacy.tokens import Doc

from service.engine.compiled import CompiledRuleSet
from service.engine.contexts import present
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
    """Lower-case every capitalised lemma, in place (idempotent): a PROPN's also loses its regular
    plural; a common word keeps its lemma, only lower-cased (a sentence-initial "Police" NNS has
    the lemma "Police"). Each distinct lemma of the document is looked at once; only the tokens of
    a capitalised one are visited."""
    if not len(doc):
        return
    strings = doc.vocab.strings
    capitalised: dict[int, str | None] = {}
    for i, value in enumerate(doc.to_array(LEMMA).tolist()):
        lemma = capitalised.get(value, "")
        if lemma == "":
            text = strings[value] if value else ""
            lemma = capitalised[value] = text if _capitalised(text) else None
        if lemma is not None:
            token = doc[i]
            token.lemma_ = proper_lemma(lemma) if token.pos_ == "PROPN" else lemma.lower()


def _capitalised(lemma: str) -> bool:
    return bool(lemma) and not lemma.islower() and any(ch.isupper() for ch in lemma)


def find_candidates(
    doc: Doc, compiled: CompiledRuleSet, rule_seconds: dict[str, float] | None = None
) -> list[Candidate]:
    """Every rule match of `doc`; `rule_seconds` gains each dependency rule's matching CPU time."""
    normalise_proper_lemmas(doc)
    found: list[Candidate] = []
    if len(compiled.matcher):
        for key, start, end, alignments in compiled.matcher(doc, with_alignments=True):  # type: ignore[misc]
            rule = compiled.rules[key]
            roles: dict[str, list[int]] = defaultdict(list)
            kept: list[int] = []
            for offset, index in enumerate(alignments):
                if rule.pattern[index].get("OP") == "!":
                    continue  # a negated token is context ("not an accidental ..."), not the event
                kept.append(start + offset)
                role = rule.token_roles[index]
                if role is not None:
                    roles[role].append(start + offset)
            found.append(_candidate(rule, roles, kept or range(start, end)))
    if len(compiled.dependency) and doc.has_annotation("DEP"):
        for key, token_ids in compiled.dependency(doc):
            rule = compiled.rules[key]
            roles = defaultdict(list)
            for node, token in zip(rule.pattern, token_ids, strict=True):
                if not node["RIGHT_ID"].startswith("_"):
                    roles[node["RIGHT_ID"]].append(token)
            found.append(_candidate(rule, roles, token_ids))
        if rule_seconds is not None:
            for key, seconds in compiled.dependency.seconds.items():
                rule_id = compiled.rules[key].id  # a rule's OPTIONAL variants count as the rule
                rule_seconds[rule_id] = rule_seconds.get(rule_id, 0.0) + seconds
    for phrase_matcher in compiled.phrases.values():
        if len(phrase_matcher):
            for key, start, end in phrase_matcher(doc):
                rule = compiled.rules[key]
                found.append(_candidate(rule, {rule.phrase_role: list(range(start, end))}, range(start, end)))
    if any(c.rule.context for c in found):  # a rule confined to a kind of document (`contexts.py`)
        here = present(doc, compiled.spec.contexts)
        found = [c for c in found if c.rule.context is None or c.rule.context in here]
    return found


def _candidate(rule: RuleSpec, roles: dict[str, list[int]], span: range | list[int]) -> Candidate:
    tokens = {role: tuple(sorted(set(ids))) for role, ids in roles.items()}
    return Candidate(rule, tokens, min(span), max(span) + 1)
