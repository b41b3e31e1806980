"""A Doc's text and entities, computed once.

`Doc.text` joins every token each time it is read, and `Doc.ents` walks every token to build its
spans: both are linear in the document, and the builders and the quote and name readers read them
once per event (on the RAMS dev set the text alone was a third of building). What is kept in
`doc.user_data` is plain data (the text, entity boundaries), so a Doc holds no reference to itself.
"""

from __future__ import annotations

from spacy.tokens import Doc, Span

_TEXT = "sitrep.text"
_ENTS = "sitrep.ents"


def doc_text(doc: Doc) -> str:
    """`doc.text`, kept in `doc.user_data` after the first call (a Doc's text never changes)."""
    text = doc.user_data.get(_TEXT)
    if not isinstance(text, str):
        text = doc.user_data[_TEXT] = doc.text
    return text


def doc_ents(doc: Doc) -> list[Span]:
    """`doc.ents`, from boundaries kept in `doc.user_data` after the first call (the pipeline
    has set the entities before any rule runs, and nothing after it changes them)."""
    bounds = doc.user_data.get(_ENTS)
    if not isinstance(bounds, tuple):
        bounds = doc.user_data[_ENTS] = tuple((ent.start, ent.end, ent.label) for ent in doc.ents)
    return [Span(doc, start, end, label=label) for start, end, label in bounds]
