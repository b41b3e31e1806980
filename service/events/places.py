"""One incident, one place: events of one clause share the place one of them names.

A sentence often tells an incident as several events: "Gunmen stormed Tungar Dodo village,
killing 11 residents" (an attack and a casualty), "23 people were killed when a bomber blew
himself up in a market on Sariab Road", "an assault on an outpost near Banibangou left 11
soldiers dead and nine missing". The place hangs on one of the verbs, so only that event's
builder finds it; the corpora (WikiEvents, RAMS) give it to every event of the incident.

This document-level pass gives an event without a location the location of an event whose
anchor is syntactically close to its own: at most `MAX_PATH` dependency arcs apart through
their lowest common ancestor, in one sentence, never across a reported clause or an aside
("Police said the raid in X was over and officials said two were hurt" are two reports). The
nearest such event lends its place. Two kinds of place are never lent: where the hurt were
treated ("died in hospital, raising the toll to six": `care_places`), and none goes to a bare
trigger ("killed in the attacks"), a re-mention that a place of its own would set apart from
the event it repeats (`events.coreference`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace

from spacy.tokens import Doc, Token

from service.events.lexicons import EngineLexicons
from service.events.model import Event, Mention

MAX_PATH = 3
"""Arcs between two anchors: "stormed X, killing" (1), "strike on X killed" (1), "assault ...
left 11 soldiers dead" (2), "the bomb that tore through X, killing six" (2 from the noun)."""

_APART = frozenset({"ccomp", "parataxis", "appos", "csubj", "dep", "meta"})
"""Arcs that lead into another report or an aside: events on either side are told apart."""


def distance(first: Token, second: Token) -> int | None:
    """Dependency arcs between two tokens of one sentence through their lowest common ancestor,
    or None when they are in different sentences or an arc on the way is in `_APART`."""
    left, right = [first, *first.ancestors], [second, *second.ancestors]
    right_at = {tok.i: depth for depth, tok in enumerate(right)}
    for depth, tok in enumerate(left):
        if tok.i in right_at:
            path = [*left[:depth], *right[: right_at[tok.i]]]
            return None if any(t.dep_ in _APART for t in path) else len(path)
    return None


def _lendable(doc: Doc, place: Mention, words: EngineLexicons) -> bool:
    """Not where the hurt were treated: "died in hospital" is that death's place, no one else's."""
    span = doc.char_span(place.start, place.end, alignment_mode="expand")
    return span is not None and span.root.lemma_.lower() not in words.care_places


def share_places(
    doc: Doc, events: Sequence[Event], anchors: Sequence[int], placed_types: frozenset[str], words: EngineLexicons
) -> list[Event]:
    """`events` with a location lent to each one of `placed_types` (the types with a `location`
    role) that has none of its own; `anchors` holds each event's anchor token index. Lenders are
    looked up per sentence, so a long document costs no more than its sentences."""
    sentences = [doc[at].sent.start for at in anchors]
    lenders: dict[int, list[int]] = defaultdict(list)
    for i, event in enumerate(events):
        if "location" in event.roles and _lendable(doc, event.roles["location"], words):
            lenders[sentences[i]].append(i)
    shared: list[Event] = []
    for i, event in enumerate(events):
        if "location" not in event.roles and event.type in placed_types and not set(event.roles) <= {"trigger"}:
            near = [
                (d, abs(anchors[j] - anchors[i]), j)
                for j in lenders.get(sentences[i], ())
                if (d := distance(doc[anchors[i]], doc[anchors[j]])) is not None and d <= MAX_PATH
            ]
            if near:
                event = replace(event, roles={**event.roles, "location": events[min(near)[2]].roles["location"]})
        shared.append(event)
    return shared
