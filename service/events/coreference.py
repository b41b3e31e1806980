"""Bare re-mentions of an event reported earlier in the same document.

A story about one bombing names it once with its roles ("A car bomb exploded outside the court")
and then again and again as "the blast", "the explosion", "the attack". Each such mention is
extracted as an event of its own (a rule cannot know the story); this document-level pass marks
it `coreferent_of` the event it repeats, so callers can merge or drop it (`drop_coreferent`).

A re-mention is an event whose anchor is a noun with a definite determiner ("the", "this", "that")
or a date possessive ("Saturday's attack") and that has no role of its own besides its trigger
(a location counts as its own only when it differs from the antecedent's: "the blast in
Harwick" after a bombing in Dunmore is another event), or only who did it when the antecedent
names no one else ("IS claimed the attack", "the bombing was claimed by the PKK": the event told
before, now claimed; callers that drop re-mentions lose the claim with it). Its antecedent is the nearest earlier
event of the same type that is not itself a re-mention and that introduced its event (a verbal
or indefinite mention: "a car bomb exploded"; a definite one with roles, "the blast shattered
windows", is anaphoric too), else the nearest earlier one that is not a re-mention. So every
re-mention points at an event that carries roles, and `drop_coreferent` never drops the event
a kept one refers to.

A re-mention of a non-event is no event either: after "An LPG cylinder exploded" (an accident,
`attack.not.accident_subject`), "the blast, which occurred at 7.40am" and "the blast tore open the
road" are the same accident (a definite mention, bare or with roles of its own). A veto marked
`rementions: true` says its matches are such non-events; when the nearest earlier mention that
introduced an event of the type is one of them, `drop_nonevent_rementions` drops the re-mention.

The pass runs on the event list the caller receives (after any event-type filter), so an index
always refers to an event of that list; a re-mention whose antecedent is not in the list (none
earlier, or filtered out) is left unmarked and is reported as an event of its own.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import replace

from spacy.tokens import Doc, Token

from service.events.model import Event, Suppressed

BARE_ROLES = frozenset({"trigger", "location"})
"""Roles a bare re-mention may carry: its trigger, and a location that agrees with the antecedent."""


def _definite(token: Token) -> bool:
    """`the blast`, `this attack`, `Saturday's bombing`: the noun refers to a known event."""
    for child in token.lefts:
        if child.dep_ == "det" and (
            "Def" in child.morph.get("Definite", []) or "Dem" in child.morph.get("PronType", [])
        ):
            return True
        if child.dep_ == "poss" and child.ent_type_ in {"DATE", "TIME"}:
            return True
    return False


def _trigger_token(doc: Doc, event: Event) -> Token | None:
    trigger = event.roles.get("trigger")
    if trigger is None:
        return None
    span = doc.char_span(trigger.start, trigger.end, alignment_mode="expand")
    return span.root if span is not None and len(span) else None


def _definite_noun(doc: Doc, event: Event) -> bool:
    token = _trigger_token(doc, event)
    return token is not None and token.pos_ in {"NOUN", "PROPN"} and _definite(token)


_REMENTION_ROLES = BARE_ROLES | {"attacker"}
"""Roles a re-mention may carry: a bare one's, and who did it ("IS claimed the attack", "the
bombing was carried out by the PKK": the event told before, now claimed; `_same_doer`)."""


def _rementions(doc: Doc, event: Event) -> bool:
    return set(event.roles) <= _REMENTION_ROLES and not event.quantities and _definite_noun(doc, event)


_NAMED = frozenset({"PERSON", "ORG", "NORP", "GPE"})


def _same_doer(event: Event, antecedent: Event) -> bool:
    """No other doer named before: "a suicide bomber" is the group's that claims the attack, but
    an attack Hamas carried out is not one ISIS claims."""
    doer, other = event.roles.get("attacker"), antecedent.roles.get("attacker")
    return doer is None or other is None or other.label not in _NAMED or doer.text.lower() == other.text.lower()


def _same_place(event: Event, antecedent: Event) -> bool:
    place, other = event.roles.get("location"), antecedent.roles.get("location")
    return place is None or other is None or place.text.lower() == other.text.lower()


def link_rementions(doc: Doc, events: list[Event]) -> list[Event]:
    """`events` (in text order) with `coreferent_of` set on the bare re-mentions; indices are
    positions in `events`. Only events with a trigger role (attacks, sieges) can be bare. The
    candidate antecedents are kept per type in text order and found by bisection (a scan of all
    earlier events per re-mention is quadratic in a long document)."""
    linked: list[Event] = []
    # per type, the events that are no re-mention, and those of them that introduced their event
    # (an indefinite or verbal mention; "the blast shattered windows" is anaphoric too): (start, index)
    own: dict[str, list[tuple[int, int]]] = {}
    introducing: dict[str, list[tuple[int, int]]] = {}
    for event in events:
        if _rementions(doc, event):
            antecedent = _nearest_before(introducing.get(event.type, []), event.start)
            if antecedent is None:
                antecedent = _nearest_before(own.get(event.type, []), event.start)
            if (
                antecedent is not None
                and _same_place(event, linked[antecedent])
                and _same_doer(event, linked[antecedent])
            ):
                event = replace(event, coreferent_of=antecedent)
        if event.coreferent_of is None:
            own.setdefault(event.type, []).append((event.start, len(linked)))
            if not _definite_noun(doc, event):
                introducing.setdefault(event.type, []).append((event.start, len(linked)))
        linked.append(event)
    return linked


def _nearest_before(mentions: list[tuple[int, int]], start: int) -> int | None:
    """The second item (an index, or the offset itself) of the last of `mentions`, (start, item)
    pairs in text order, that starts before `start`."""
    i = bisect.bisect_left(mentions, (start, -1))
    return mentions[i - 1][1] if i else None


def drop_nonevent_rementions(
    doc: Doc, events: list[Event], nonevents: Sequence[tuple[str, int]]
) -> tuple[list[Event], list[Suppressed]]:
    """`events` (in text order) without the definite re-mentions whose nearest earlier introducing
    mention of their type (verbal or indefinite) is a non-event; the dropped ones come back as
    suppressed (for `explain` and the metrics). `nonevents`: (event type, character offset of
    the anchor word) of the matches of vetoes marked `rementions: true`."""
    triggers = {e.roles["trigger"].start for e in events if "trigger" in e.roles}
    ruled: dict[str, list[tuple[int, int]]] = {}  # (offset, offset): `_nearest_before` gives the offset
    for event_type, offset in nonevents:
        if offset in triggers:
            continue  # a word a kept event stands on is an event after all
        span = doc.char_span(offset, offset + 1, alignment_mode="expand")
        if span is not None and len(span) and not (span[0].pos_ in {"NOUN", "PROPN"} and _definite(span[0])):
            ruled.setdefault(event_type, []).append((offset, offset))
    if not ruled:
        return events, []
    for offsets in ruled.values():
        offsets.sort()
    kept: list[Event] = []
    dropped: list[Suppressed] = []
    introducing: dict[str, list[tuple[int, int]]] = {}  # (start, start), as `ruled`
    for event in events:
        nonevent = _nearest_before(ruled.get(event.type, []), event.start) if _definite_noun(doc, event) else None
        real = _nearest_before(introducing.get(event.type, []), event.start)
        if nonevent is not None and (real is None or real < nonevent):
            reason = f"re-mentions a non-event (the word at character {nonevent})"
            dropped.append(Suppressed(event.rule_id, event.type, event.start, event.end, "coreference", reason))
            continue
        if not _definite_noun(doc, event):
            introducing.setdefault(event.type, []).append((event.start, event.start))
        kept.append(event)
    return kept, dropped
