"""A Doc's text and entities, computed once.

`Doc.text` joins every token each time it is read, and `Doc.ents` walks every token to build its
spans: both are linear in the document, and the builders and the quote and name readers read them
once per event (on the RAMS dev set the text alone was a third of building). What is kept in
`doc.user_data` is plain data (the text, entity boundaries), so a Doc holds no reference to itself.
"""

from __future__ import annotations

import bisect
import re

from spacy.tokens import Doc, Span

PARAGRAPH = re.compile(r"[^\n]*\S[^\n]*")
"""A paragraph: a line that is not blank."""

_TEXT = "sitrep.text"
_ENTS = "sitrep.ents"


def doc_text(doc: Doc) -> str:
    """`doc.text`, kept in `doc.user_data` after the first call (a Doc's text never changes)."""
    text = doc.user_data.get(_TEXT)
    if not isinstance(text, str):
        text = doc.user_data[_TEXT] = doc.text
    return text


Bound = tuple[int, int, int]
"""An entity's (start token, end token, label id)."""


def ent_bounds(doc: Doc) -> tuple[Bound, ...]:
    """The entities' boundaries in text order, kept in `doc.user_data` after the first call (the
    pipeline has set the entities before any rule runs, and nothing after it changes them)."""
    bounds = doc.user_data.get(_ENTS)
    if not isinstance(bounds, tuple):
        bounds = doc.user_data[_ENTS] = tuple((ent.start, ent.end, ent.label) for ent in doc.ents)
    return bounds


def ent_span(doc: Doc, bound: Bound) -> Span:
    return Span(doc, bound[0], bound[1], label=bound[2])


def ents_before(doc: Doc, token: int) -> int:
    """How many entities end at or before `token` (they are the first ones: entities never
    overlap), found by bisection so that a reader of one mention does not walk them all."""
    return bisect.bisect_right(ent_bounds(doc), token, key=lambda bound: bound[1])
