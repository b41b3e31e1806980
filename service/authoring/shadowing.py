"""W106: rules that a higher-priority rule shadows on every one of their positive examples.

A rule's examples are judged with the rule alone (`examples.py`); here each positive example runs
through the whole pack. A rule that never yields an event there, and always loses to a rule of
higher priority without even giving it a role, adds nothing the pack would report: the author
should drop it, change its priority or give it an example where it wins.
"""

from __future__ import annotations

from spacy.language import Language

from service.engine.compiled import CompiledRuleSet
from service.engine.extractor import process_doc
from service.errors import E
from service.events.model import DocResult
from service.rules.errors import RuleError
from service.rules.schema import RuleSpec

FUSED = "roles given to the winner"  # resolve.py's reason when a loser hands its winner roles


def shadowed(nlp: Language, compiled: CompiledRuleSet) -> list[RuleError]:
    """W106 warnings for the runnable, non-veto rules of `compiled` with positive examples."""
    rules = [rule for rule in compiled.spec.runnable if not rule.veto and _positives(rule)]
    texts = sorted({text for rule in rules for text in _positives(rule)})
    priority = {rule.id: rule.priority for rule in compiled.spec.rules}
    with nlp.memory_zone():
        docs = nlp.pipe(texts, disable=list(compiled.plan.disabled))
        results = {text: process_doc(doc, compiled) for text, doc in zip(texts, docs, strict=True)}
    found = []
    for rule in rules:
        winners = [_winner(rule, results[text], priority) for text in _positives(rule)]
        if all(winners):
            names = ", ".join(sorted({w for w in winners if w}))
            found.append(RuleError(rule.file, rule.line, 1, rule.id, E.W106.format(winner=names)))
    return found


def _positives(rule: RuleSpec) -> list[str]:
    return [example.text for example in rule.examples if example.expect]


def _winner(rule: RuleSpec, result: DocResult, priority: dict[str, int]) -> str | None:
    """The higher-priority rule that took this example from `rule`, or None when `rule` counts."""
    if any(event.rule_id == rule.id for event in result.events):
        return None
    lost = [s for s in result.suppressed if s.rule_id == rule.id]
    if not lost or any(FUSED in s.reason or priority.get(s.winner, rule.priority) <= rule.priority for s in lost):
        return None
    return lost[0].winner
