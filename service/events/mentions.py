"""Mentions from token ranges, and resolution of pronouns and short names to canonical names."""

from __future__ import annotations

from spacy.tokens import Doc, Span

from service.events.model import Mention

PERSON_PRONOUNS = frozenset({"he", "she", "him", "her", "i", "we"})
BODY_PRONOUNS = frozenset({"it", "they", "them"})
BODY_LABELS = ("ORG", "GPE", "NORP")


def entity_label(span: Span) -> str:
    """The label of the entity the span is, or is headed by."""
    for ent in span.doc.ents:
        if ent.start <= span.root.i < ent.end and ent.end > span.start and ent.start < span.end:
            return str(ent.label_)
    return ""


def mention(doc: Doc, start: int, end: int, resolve: bool = False) -> Mention:
    span = doc[start:end]
    label = entity_label(span)
    resolved = resolve_name(doc, span, label) if resolve else ""
    return Mention(span.text, span.start_char, span.end_char, label, resolved)


SPEECH_LEMMAS = frozenset({"say", "tell", "add", "announce", "state", "claim", "explain", "insist", "warn"})
_PLACE_PREPS = frozenset({"in", "near", "at", "from", "to", "into", "outside", "inside", "around", "of"})


def _person_antecedent(ent: Span) -> bool:
    """A name "he"/"she" may refer to: a PERSON that is not a place-like prepositional object
    ("near Kyiv", which the small model often tags PERSON), or a person-or-organisation name that
    reports speech (the previous speaker, often mis-tagged ORG: "Oleksiy Arestovych said ...")."""
    root = ent.root
    verb = root.head
    reports = any(c.dep_ == "ccomp" or c.text in {"“", "”", '"'} for c in verb.children)
    if ent.label_ in {"PERSON", "ORG"} and root.dep_ == "nsubj" and verb.lemma_ in SPEECH_LEMMAS and reports:
        return True
    if ent.label_ != "PERSON":
        return False
    return not (root.dep_ == "pobj" and root.head.lower_ in _PLACE_PREPS)


def resolve_name(doc: Doc, span: Span, label: str) -> str:
    """The canonical name for a speaker-like mention.

    A pronoun takes the nearest preceding compatible entity (a person for he/she, an
    organisation or place for it/they). A surname alone takes the earlier full name it ends.
    A named entity is its own canonical name; other phrases have none ("").
    """
    lowered = span.text.lower()
    before = [ent for ent in doc.ents if ent.end <= span.start]
    if lowered in PERSON_PRONOUNS:
        people = [ent for ent in before if _person_antecedent(ent)]
        return people[-1].text if people else ""
    if lowered in BODY_PRONOUNS:
        bodies = [ent for ent in before if ent.label_ in BODY_LABELS]
        return bodies[-1].text if bodies else ""
    if label == "PERSON":
        longer = [
            ent.text for ent in before
            if ent.label_ == "PERSON" and len(ent) > len(span) and ent[-1].text == span[-1].text
        ]  # fmt: skip
        if longer:
            return longer[-1]
    for ent in doc.ents:
        if ent.start <= span.root.i < ent.end:
            return str(ent.text)
    return ""
