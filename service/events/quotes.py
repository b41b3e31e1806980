"""Quotation detection for statements: which quoted passage a speech cue introduces.

Quotes are found on the text (curly “…” and straight "…"), then attached to a cue: the quote in
the cue's sentence, extended over the quotes that continue it in following sentences until a
sentence that is not a quotation ("“A,” he said. “B.”" is one statement with content A…B).
"""

from __future__ import annotations

import re

from spacy.tokens import Doc, Span

_QUOTE = re.compile(r"“[^“”]{2,}?”|\"[^\"\n]{2,}?\"|«[^«»]{2,}?»")


def quote_spans(text: str) -> list[tuple[int, int]]:
    """Character ranges of quoted passages, quotation marks included."""
    return [(m.start(), m.end()) for m in _QUOTE.finditer(text)]


def quote_for_cue(doc: Doc, cue: int, quotes: list[tuple[int, int]]) -> tuple[int, int] | None:
    """The (start, end) characters of the quoted content a cue introduces, marks and trailing
    clause punctuation excluded."""
    sentences = list(doc.sents)
    index = next(i for i, sent in enumerate(sentences) if sent.start <= cue < sent.end)
    sent = sentences[index]
    cue_char = doc[cue].idx
    inside = [q for q in quotes if q[0] < sent.end_char and sent.start_char < q[1]]
    if not inside or any(q[0] < cue_char < q[1] for q in inside):
        return None  # no quote here, or the cue is itself quoted speech
    first, last = inside[0], inside[-1]
    for nxt in sentences[index + 1 :]:
        if not _is_quotation(nxt, quotes):
            break
        # the quote that makes `nxt` a quotation: it may have opened in an earlier sentence
        last = max((q for q in quotes if q[0] < nxt.end_char and q[1] >= nxt.start_char), key=lambda q: q[1])
    return _strip(doc.text, first[0] + 1, last[1] - 1)


_TRAILING = " \t\n,;:"


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop the spaces and the clause punctuation (`,;:`) that end a quote before its mark
    (“Nothing will change,” → `Nothing will change`); keep sentence-final . ! ? and `…`."""
    while end > start + 1 and text[end - 1] in _TRAILING:
        end -= 1
    while start < end - 1 and text[start].isspace():
        start += 1
    return start, end


def _is_quotation(sent: Span, quotes: list[tuple[int, int]]) -> bool:
    """True when the sentence is entirely (but punctuation) inside one quote."""
    text = sent.text.strip()
    start = sent.start_char + (len(sent.text) - len(sent.text.lstrip()))
    end = start + len(text)
    return any(q[0] <= start and end - 2 <= q[1] for q in quotes) or any(
        q[0] == start and q[1] >= end - 2 for q in quotes
    )
