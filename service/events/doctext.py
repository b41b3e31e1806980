"""A Doc's text, computed once.

`Doc.text` joins every token each time it is read (linear in the document), and the builders and
the quote readers read it once per event: on the RAMS dev set that was a third of building.
"""

from __future__ import annotations

from spacy.tokens import Doc

_KEY = "sitrep.text"


def doc_text(doc: Doc) -> str:
    """`doc.text`, kept in `doc.user_data` after the first call (a Doc's text never changes)."""
    text = doc.user_data.get(_KEY)
    if not isinstance(text, str):
        text = doc.user_data[_KEY] = doc.text
    return text
