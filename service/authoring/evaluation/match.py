"""Scoring: predicted events against one gold document, accumulated into a `Scorecard`.

Matching is not one-to-one: a prediction is right when it matches some gold event, and a gold
event is found when some prediction matches it (the README's definitions). Per mode:
- seed: same type and the predicted span overlaps the evidence span;
- sentence: same type, anywhere in the sentence;
- window: same type and the predicted span overlaps the trigger sentence;
- attribution: a statement covering more than 30% of the gold content's characters.
Precision is counted only for the types a mode scores (`GoldDoc.scores`); a prediction that
matches only debatable gold (`required: false`, a non-speech attribution) is ignored.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from service.authoring.evaluation.gold import GoldDoc, GoldEvent, Span
from service.events.model import Event, Mention
from service.events.registry import BUILTIN, EventType

CONTENT_COVERAGE = 0.3
GOLD_ATTRIBUTES = {("statement", "kind"): "direct"}
"""Attributes that gold annotates under another name: a statement's kind as `direct`."""
_HEAD_STOPS = frozenset(
    {"of", "in", "from", "at", "on", "near", "with", "that", "who", "which", "by", "for", "to",
     "and", "or", "inside", "outside", "after", "during", "into", "against", "including"}
)  # fmt: skip
_WORD = re.compile(r"[^\W_]+(?:[-'’.][^\W_]+)*|[,;:(]")


@dataclass(slots=True)
class Counts:
    """Event-level tallies: gold/found give recall, tp/fp precision; ignored is neither."""

    gold: int = 0
    found: int = 0
    tp: int = 0
    fp: int = 0
    ignored: int = 0

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.found / self.gold if self.gold else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None:
            return None
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(slots=True)
class RoleCounts:
    """Role tallies over matched pairs: recall = found/gold, precision = correct/pred."""

    gold: int = 0
    found: int = 0
    pred: int = 0
    correct: int = 0

    @property
    def recall(self) -> float | None:
        return self.found / self.gold if self.gold else None

    @property
    def precision(self) -> float | None:
        return self.correct / self.pred if self.pred else None


@dataclass(frozen=True, slots=True)
class Finding:
    """A miss, a false positive or a must_not_match violation, for the report."""

    doc: str
    type: str
    rule: str
    text: str


@dataclass(slots=True)
class Scorecard:
    docs: int = 0
    types: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    roles: dict[str, RoleCounts] = field(default_factory=lambda: defaultdict(RoleCounts))
    rules: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    misses: list[Finding] = field(default_factory=list)
    false_positives: list[Finding] = field(default_factory=list)
    role_errors: list[Finding] = field(default_factory=list)
    violations: list[Finding] = field(default_factory=list)


def head_word(text: str) -> str:
    """The head of a gold phrase: the last word before a preposition, clause or comma."""
    words = _WORD.findall(text)
    kept: list[str] = []
    for word in words:
        if kept and (word.lower() in _HEAD_STOPS or not word[0].isalnum()):
            break
        if word[0].isalnum():
            kept.append(word)
    return kept[-1] if kept else text.strip()


def text_matches(gold: str, predicted: str) -> bool:
    """The predicted text contains the gold head word, or the gold text contains the prediction."""
    if not predicted.strip() or not gold.strip():
        return False
    head = head_word(gold)
    if re.search(rf"(?<![^\W_]){re.escape(head)}(?![^\W_])", predicted, re.IGNORECASE):
        return True
    return predicted.strip().lower() in gold.lower()


def overlaps(a: Span, b: Span) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def coverage(covering: Span, spans: tuple[Span, ...]) -> float:
    """The share of the characters of `spans` that `covering` covers."""
    total = sum(end - start for start, end in spans)
    if not total:
        return 0.0
    covered = sum(max(0, min(end, covering[1]) - max(start, covering[0])) for start, end in spans)
    return covered / total


def _statement_span(event: Event) -> Span:
    content = event.roles.get("content")
    return (content.start, content.end) if content else (event.start, event.end)


def scored_roles(event_type: EventType) -> tuple[str, ...]:
    """Every role and attribute of the type; those gold never annotates (a trigger, a speaker
    source) simply count nowhere."""
    attributes = (GOLD_ATTRIBUTES.get((event_type.name, a.name), a.name) for a in event_type.attributes)
    return (*event_type.roles, *event_type.quantity_roles, *attributes)


def _declared_value(gold: GoldEvent, event: Event, role: str) -> tuple[bool, bool, bool]:
    """A pack's own quantity (gold gives the number or its text) or attribute (gold gives the value)."""
    values = gold.roles.get(role, ())
    if role in event.quantities:
        quantity = event.quantities[role]
        right = any(v == str(quantity.min) or text_matches(v, quantity.text) for v in values)
        return bool(values), True, right
    predicted = event.attrs.get(role, "")
    return bool(values), bool(predicted), any(v.upper() == predicted for v in values)


def event_matches(doc: GoldDoc, gold: GoldEvent, event: Event) -> bool:
    if event.type != gold.type:
        return False
    if doc.mode == "seed":
        return overlaps((event.start, event.end), (gold.start, gold.end))
    if doc.mode == "window":
        return overlaps((event.start, event.end), doc.unit)
    if doc.mode == "attribution":
        return coverage(_statement_span(event), gold.content_spans) > CONTENT_COVERAGE
    return True


def _counts_for_recall(doc: GoldDoc, gold: GoldEvent) -> bool:
    return gold.required and (doc.mode != "attribution" or gold.speech)


def _mention_text(role: str, mention: Mention) -> list[str]:
    if role == "speaker" and mention.resolved:
        return [mention.resolved]
    return [mention.text, mention.resolved] if mention.resolved else [mention.text]


def role_result(
    doc: GoldDoc, gold: GoldEvent, event: Event, role: str, event_type: EventType
) -> tuple[bool, bool, bool]:
    """(gold has the role, prediction has it, prediction is right) for one matched pair."""
    if not event_type.builtin and role not in event_type.roles:
        return _declared_value(gold, event, role)
    if role == "kind":
        predicted = event.attrs.get("kind", "").lower()
        return bool(gold.kind), bool(predicted), bool(gold.kind) and gold.kind == predicted
    if role == "direct":
        has = gold.direct is not None
        said = event.attrs.get("kind")
        return has, said is not None, has and (said == "MIXED" or gold.direct == (said == "DIRECT"))
    if role == "count":
        quantity = event.quantities.get("count")
        right = gold.count is not None and quantity is not None
        right = right and gold.count == (quantity.min, quantity.max)  # type: ignore[union-attr]
        return gold.count is not None, quantity is not None, right
    if role == "trapped":
        quantity = event.quantities.get("trapped")
        right = quantity is not None and gold.trapped_min == quantity.min
        return gold.trapped_min is not None, quantity is not None, right
    mention = event.roles.get(role)
    if role == "speaker" and gold.speaker_spans:
        right = mention is not None and any(overlaps((mention.start, mention.end), s) for s in gold.speaker_spans)
        return True, mention is not None, right
    if role == "content" and gold.content_spans:
        right = mention is not None and (coverage((mention.start, mention.end), gold.content_spans) > CONTENT_COVERAGE)
        return True, mention is not None, right
    values = gold.roles.get(role, ())
    texts = _mention_text(role, mention) if mention is not None else []
    if role == "victims" and "count" in event.quantities:
        # gold victims may be the number itself ("wounded 71"): our count holds it
        texts.append(event.quantities["count"].text)
    right = any(text_matches(value, text) for value in values for text in texts)
    return bool(values), bool(texts), right


def _trigger_hit(doc: GoldDoc, gold: GoldEvent, event: Event) -> bool:
    if not gold.trigger:
        return False
    pattern = rf"(?<![^\W_]){re.escape(gold.trigger)}(?![^\W_])"
    return re.search(pattern, doc.text[event.start : event.end], re.IGNORECASE) is not None


def _best_pair(doc: GoldDoc, gold: GoldEvent, events: list[Event], event_type: EventType) -> Event:
    def score(event: Event) -> tuple[bool, int]:
        right = sum(role_result(doc, gold, event, r, event_type)[2] for r in scored_roles(event_type))
        return _trigger_hit(doc, gold, event), right

    return max(events, key=score)


def _snippet(doc: GoldDoc, gold: GoldEvent) -> str:
    if doc.mode == "attribution":
        start, end = gold.content_spans[0] if gold.content_spans else (gold.start, gold.end)
        cue = f"[{gold.trigger}] " if gold.trigger else ""
        return cue + doc.text[start:end][:160]
    text = doc.text[gold.start : gold.end]
    return (f"[{gold.trigger}] " if gold.trigger else "") + text[:200]


def score_doc(card: Scorecard, doc: GoldDoc, events: list[Event], types: Mapping[str, EventType] = BUILTIN) -> None:
    """Add one document's predictions to the scorecard; `types`: the pack's event types, whose
    roles are scored (gold of a type the pack does not know is scored on the event alone)."""
    card.docs += 1
    for event in events:
        counts = card.types[event.type]
        rule = card.rules[event.rule_id]
        matched = [g for g in doc.events if event_matches(doc, g, event)]
        if any(_in(f[0], event) for f in doc.forbidden):
            card.violations.append(Finding(doc.id, event.type, event.rule_id, event.text[:200]))
        if not doc.scores(event.type):
            counts.ignored += 1
            rule.ignored += 1
        elif any(_counts_for_recall(doc, g) for g in matched):
            counts.tp += 1
            rule.tp += 1
        elif matched:
            counts.ignored += 1
            rule.ignored += 1
        else:
            counts.fp += 1
            rule.fp += 1
            card.false_positives.append(Finding(doc.id, event.type, event.rule_id, event.text[:200]))
    for gold in doc.events:
        if not _counts_for_recall(doc, gold):
            continue
        counts = card.types[gold.type]
        counts.gold += 1
        candidates = [e for e in events if event_matches(doc, gold, e)]
        if not candidates:
            card.misses.append(Finding(doc.id, gold.type, "", _snippet(doc, gold)))
            continue
        counts.found += 1
        event_type = types.get(gold.type, EventType(gold.type, ()))
        best = _best_pair(doc, gold, candidates, event_type)
        card.rules[best.rule_id].found += 1
        for role in scored_roles(event_type):
            has_gold, has_pred, right = role_result(doc, gold, best, role, event_type)
            tally = card.roles[f"{gold.type}.{role}"]
            tally.gold += has_gold
            tally.found += has_gold and right
            if has_gold:
                tally.pred += has_pred
                tally.correct += has_pred and right
            if has_gold and not right:
                got = _predicted_text(best, role)
                card.role_errors.append(
                    Finding(doc.id, f"{gold.type}.{role}", best.rule_id,
                            f"gold {_gold_text(gold, role)!r} predicted {got!r}")
                )  # fmt: skip


def _in(span: Span, event: Event) -> bool:
    return overlaps(span, (event.start, event.end))


def _gold_text(gold: GoldEvent, role: str) -> str:
    if role == "kind":
        return gold.kind
    if role == "count":
        return str(gold.count)
    if role == "trapped":
        return str(gold.trapped_min)
    if role == "direct":
        return str(gold.direct)
    return " | ".join(gold.roles.get(role, ())) or "(spans)"


def _predicted_text(event: Event, role: str) -> str:
    if role in {"kind", "direct"}:
        return event.attrs.get("kind", "")
    if role in event.attrs:
        return event.attrs[role]
    if role in event.quantities:
        quantity = event.quantities[role]
        return f"{quantity.text} ({quantity.min}, {quantity.max})"
    mention = event.roles.get(role)
    if mention is None:
        return ""
    return f"{mention.text} → {mention.resolved}" if mention.resolved else mention.text
