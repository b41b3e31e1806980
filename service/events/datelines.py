"""Datelines: the "KYIV, Ukraine (AP) —" that opens a wire story or one of its paragraphs.

A dateline is metadata, not part of the sentence the parser reads it into: spaCy makes the city
the subject of the first verb ("KANDAHAR, Afghanistan — A suicide bomber rammed ..." has two
subjects), so an attack would name the city as its attacker and a statement's content would
start with it. The engine drops matches whose roles lie in a dateline and keeps grown phrases
out of it. A dateline is a capitalised place of at least three letters (more words and a
", Country" or a date may follow), an optional agency in parentheses, then a dash between spaces
or an em/en dash or a colon ("PESHAWAR: At least 12 people ...", as South Asian papers print
it), at the start of the text or of a line, before a capital, a digit or a quote ("NATO — the
alliance — said" is no dateline). A transcript's speaker label in capitals ("KELLY: Good
morning") reads as one too, which costs nothing: turns are found from the text, not from rules.
A live blog's entry stamp ("4:26 p.m. CT – Another delegate said ...") is one too: the parser
makes the time (or the time zone) the entry's subject.
"""

from __future__ import annotations

import bisect
import re

from spacy.tokens import Doc

from service.events.doctext import doc_text

_CAPITALS = "A-Z" + "".join(ch for ch in map(chr, range(0xC0, 0x250)) if ch.isupper())
"""Capital letters of the Latin alphabets, accented too: "BOGOTÁ", "ŁÓDŹ", "SÃO PAULO" open datelines."""
_DATELINE = re.compile(
    r"(?m)^[ \t]*"
    rf"[{_CAPITALS}][{_CAPITALS}.'’\-]{{2,}}(?:[ \t]+[{_CAPITALS}][{_CAPITALS}.'’\-]+){{0,3}}"  # KANDAHAR, ST. LOUIS
    rf"(?:,[ \t]*[{_CAPITALS}][\w.'’\-]*(?:[ \t]+[\w.'’\-]+){{0,3}}){{0,2}}"  # , Afghanistan / , Dec. 2
    r"(?:[ \t]*\([A-Za-z.&' ]{1,30}\))?"  # (AP), (Reuters)
    r"[ \t]*(?:[—–]|--?(?=[ \t])|:(?=[ \t]))[ \t]*"  # "PESHAWAR:" (South Asian papers) too
    rf"(?=[{_CAPITALS}0-9“\"‘'])"  # the story's first sentence follows
)
_TIMESTAMP = re.compile(
    r"(?m)^[ \t]*\d{1,2}[:.]\d{2}(?:[ \t]*[AaPp]\.?[Mm]\.?)?(?:[ \t]+[A-Z]{2,5})?"  # 4:26 p.m. CT, 09.15 GMT
    r"[ \t]*(?:[—–]|--?(?=[ \t]))[ \t]*"
    r"(?=[A-Z0-9“\"‘'])"
)
"""A live blog's entry stamp ("4:26 p.m. CT – ..."): metadata like a dateline, not the entry's subject."""
_KEY = "sitrep.datelines"

Range = tuple[int, int]
"""Token range [start, end) of one dateline, dash included."""


def dateline_ranges(doc: Doc) -> tuple[Range, ...]:
    """The datelines of `doc` as token ranges in text order, kept in `doc.user_data`."""
    found = doc.user_data.get(_KEY)
    if isinstance(found, tuple):
        return found
    ranges: list[Range] = []
    starts: list[int] = []  # token offsets, listed only once a dateline is found (most texts have none)
    text = doc_text(doc)
    matches = sorted([*_DATELINE.finditer(text), *_TIMESTAMP.finditer(text)], key=lambda match: match.start())
    for match in matches:
        starts = starts or [tok.idx for tok in doc]
        first = bisect.bisect_left(starts, match.start())
        end = bisect.bisect_left(starts, match.end())
        if first < end:
            ranges.append((first, end))
    doc.user_data[_KEY] = found = tuple(ranges)
    return found


def _holding(ranges: tuple[Range, ...], index: int) -> Range | None:
    at = bisect.bisect_right(ranges, index, key=lambda r: r[0]) - 1
    return ranges[at] if at >= 0 and index < ranges[at][1] else None


def in_dateline(ranges: tuple[Range, ...], index: int) -> bool:
    """Whether token `index` lies in one of `ranges`."""
    return _holding(ranges, index) is not None


def clip(ranges: tuple[Range, ...], start: int, end: int) -> tuple[int, int]:
    """`[start, end)` moved past a dateline it starts in, when it reaches beyond it."""
    held = _holding(ranges, start)
    return (held[1], end) if held is not None and held[1] < end else (start, end)
