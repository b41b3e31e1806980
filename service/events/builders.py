"""Typed builders: one grown candidate → one `Event`, per event type.

Builders fill what role spans alone cannot: casualty kinds and counts, quotations and resolved
speakers, and context roles stated elsewhere in the sentence ("according to X", "in Mariupol").
They read the Doc but never match rules.
"""

from __future__ import annotations

from collections.abc import Callable

from spacy.tokens import Doc

from service.engine.resolve import Grown
from service.engine.roles import trim_edges
from service.events.kinds import casualty_kind
from service.events.mentions import mention
from service.events.model import QUANTITY_ROLES, Event, Mention, Quantity
from service.events.quantities import parse_quantity
from service.events.quotes import quote_for_cue, quote_spans

LOCATION_PREPS = frozenset({"in", "near", "at", "outside", "inside", "on", "around", "across"})
PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})
RESOLVED_ROLES = frozenset({"speaker", "attacker", "besieger", "perpetrator"})


def _quantity(doc: Doc, start: int, end: int) -> Quantity | None:
    span = doc[start:end]
    parsed = parse_quantity(span.text)
    if parsed is None:
        return None
    return Quantity(parsed.min, parsed.max, parsed.qualifier, span.text, span.start_char, span.end_char)


def _attribution(doc: Doc, anchor: int) -> Mention | None:
    """`according to X` in the anchor's sentence, X grown to its whole phrase."""
    sent = doc[anchor].sent
    for tok in sent:
        if tok.lower_ == "according" and tok.i + 2 < sent.end and doc[tok.i + 1].lower_ == "to":
            objects = [c for c in doc[tok.i + 1].children if c.dep_ == "pobj"]
            end = objects[0].right_edge.i + 1 if objects else sent.end
            while end > tok.i + 3 and doc[end - 1].is_punct:
                end -= 1
            return mention(doc, tok.i, end)
    return None


def _location(doc: Doc, anchor: int) -> Mention | None:
    """A place attached to the anchor by a locative preposition ("struck ... in Mariupol")."""
    if not doc.has_annotation("DEP"):
        return None
    head = doc[anchor]
    for prep in [c for c in head.children if c.dep_ == "prep" and c.lower_ in LOCATION_PREPS]:
        for obj in prep.children:
            if obj.dep_ == "pobj":
                for ent in doc.ents:
                    if ent.label_ in PLACE_LABELS and ent.start <= obj.i < ent.end:
                        return mention(doc, ent.start, ent.end)
    return None


def build_event(doc: Doc, grown: Grown, sentence_index: int, anchor: int) -> Event:
    """The typed event for a grown candidate; its span covers every role it reports."""
    rule = grown.candidate.rule
    roles: dict[str, Mention] = {}
    quantities: dict[str, Quantity] = {}
    for role, (start, end) in grown.spans.items():
        if role in QUANTITY_ROLES:
            if quantity := _quantity(doc, start, end):
                quantities[role] = quantity
        else:
            if end - start > 1:
                start, end = trim_edges(doc, start, end)
            roles[role] = mention(doc, start, end, resolve=role in RESOLVED_ROLES)
    attrs: dict[str, str] = {}
    BUILDERS[rule.event](doc, grown, roles, attrs, anchor)
    start, end = grown.char_span(doc)
    items: list[Mention | Quantity] = [*roles.values(), *quantities.values()]
    for item in items:
        start, end = min(start, item.start), max(end, item.end)
    return Event(
        type=rule.event, rule_id=rule.id, start=start, end=end, text=doc.text[start:end],
        sentence_index=sentence_index, confidence=rule.confidence, roles=roles,
        quantities=quantities, attrs=attrs,
    )  # fmt: skip


Roles = dict[str, Mention]
Attrs = dict[str, str]


def _casualty(doc: Doc, grown: Grown, roles: Roles, attrs: Attrs, anchor: int) -> None:
    kind_word = roles.pop("kind", None)
    if grown.candidate.rule.casualty_kind:
        attrs["kind"] = grown.candidate.rule.casualty_kind
    else:
        tok = doc[grown.spans["kind"][0]] if kind_word else doc[anchor]
        attrs["kind"] = casualty_kind(tok.text, tok.lemma_)
    if "source" not in roles and (source := _attribution(doc, anchor)):
        roles["source"] = source
    if "location" not in roles and (place := _location(doc, anchor)):
        roles["location"] = place


def _statement(doc: Doc, grown: Grown, roles: Roles, attrs: Attrs, anchor: int) -> None:
    quoted = quote_for_cue(doc, anchor, quote_spans(doc.text))
    content = roles.get("content")
    if quoted is not None and (content is None or quoted[0] - 1 <= content.start <= quoted[1]):
        roles["content"] = Mention(doc.text[quoted[0] : quoted[1]], quoted[0], quoted[1])
        attrs["kind"] = "DIRECT"
    elif content is not None:
        attrs["kind"] = "MIXED" if any(ch in content.text for ch in '“”"') else "INDIRECT"


def _place(doc: Doc, grown: Grown, roles: Roles, attrs: Attrs, anchor: int) -> None:
    if "location" not in roles and (place := _location(doc, anchor)):
        roles["location"] = place


BUILDERS: dict[str, Callable[[Doc, Grown, Roles, Attrs, int], None]] = {
    "casualty": _casualty,
    "statement": _statement,
    "attack": _place,
    "siege": _place,
}
