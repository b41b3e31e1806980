"""Lint warnings over a loaded pack (W-codes): findings an author should see, never a refusal.

Unused lexicons, words a lexicon lists twice or that two lexicons combined in one list share, rules without a
negative example, and `confidence: 0` rules that are not marked `veto` (it once vetoed).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from itertools import combinations
from typing import Any

from service.errors import E
from service.rules.errors import RuleError
from service.rules.schema import RuleSpec

SHOWN_WORDS = 5


def referenced_lexicons(value: Any) -> set[str]:
    """The lexicon names a raw rule or template refers to (`$name` strings anywhere in it)."""
    if isinstance(value, dict):
        return set().union(*(referenced_lexicons(item) for item in value.values()))
    if isinstance(value, list):
        return set().union(*(referenced_lexicons(item) for item in value))
    if isinstance(value, str) and value.startswith("$"):
        return {value[1:]}
    return set()


def _shown(words: Iterable[str]) -> str:
    ordered = sorted(words)
    more = f" and {len(ordered) - SHOWN_WORDS} more" if len(ordered) > SHOWN_WORDS else ""
    return ", ".join(ordered[:SHOWN_WORDS]) + more


def lexicon_warnings(
    lexicons: Mapping[str, list[str]], where: Mapping[str, tuple[str, int]], used: set[str]
) -> list[RuleError]:
    """W101 unused lexicons, W102 words repeated in one lexicon."""
    found: list[RuleError] = []
    for name, words in lexicons.items():
        file, line = where[name]
        if name not in used:
            found.append(RuleError(file, line, 1, "", E.W101.format(name=name)))
        repeated = [word for word, n in Counter(words).items() if n > 1]
        if repeated:
            found.append(RuleError(file, line, 1, "", E.W102.format(name=name, words=_shown(repeated))))
    return found


def combined_lexicons(rule: Any, lexicons: Mapping[str, list[str]]) -> list[str]:
    """W103 messages: an IN / NOT_IN list of a raw rule that names two lexicons sharing words."""
    found: list[str] = []
    if isinstance(rule, list):
        return [message for item in rule for message in combined_lexicons(item, lexicons)]
    if not isinstance(rule, dict):
        return found
    for key, value in rule.items():
        names = (
            [v[1:] for v in value if isinstance(v, str) and v[1:] in lexicons]
            if key in {"IN", "NOT_IN"} and isinstance(value, list)
            else []
        )
        for name, other in combinations(names, 2):
            shared = set(lexicons[name]) & set(lexicons[other])
            if shared:
                found.append(E.W103.format(key=key, name=name, other=other, words=_shown(shared)))
        found += combined_lexicons(value, lexicons)
    return found


def rule_warnings(rules: Iterable[RuleSpec]) -> list[RuleError]:
    """W104 a rule (not a veto) whose examples hold no negative one; W105 confidence 0 without veto."""
    found: list[RuleError] = []
    for rule in rules:
        if rule.status == "disabled":
            continue
        if not rule.veto and not any(not example.expect for example in rule.examples):
            found.append(RuleError(rule.file, rule.line, 1, rule.id, E.W104.format()))
        if rule.confidence == 0.0 and not rule.veto:
            found.append(RuleError(rule.file, rule.line, 1, rule.id, E.W105.format()))
    return found
