"""Quotation detection for statements: which quoted passage a speech cue introduces, and which
quotes stand on their own (a paragraph or sentence that is only a quotation).

Quotes are found on the text: curly “…”, straight "…", guillemets «…», the doubled
apostrophes of some wires (''…'', ``…'') and the single quotes of British and Irish papers,
curly ‘…’ or straight '…' (whose closing mark is also the apostrophe: see `_single_quotes`).
A cue takes one quote, never text on both sides of it: the quote that ends just before the cue
("“A,” he said") or, failing that, the one its sentence opens after the cue ("He said: “A.”").
What follows the cue ("“A,” he said, “B.” “C.”") is left to `service.events.attribution`, which
gives it the same speaker as separate statements.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Sequence

from spacy.tokens import Doc

from service.events.doctext import doc_text

_QUOTE = re.compile(r"“[^“”]{2,}?”|\"[^\"\n]{2,}?\"|«[^«»]{2,}?»")
_DOUBLED_OPEN = re.compile(r"(?=''|``)")
_DOUBLED_CLOSE = re.compile(r"(?='')")
_MARKS = frozenset({"“", "”", '"', "''", "``", "«", "»", "‘", "’"})
_OPENS_CLAUSE = frozenset('\n.!?…:;,—–(“"')  # before a ‘ that opens a whole quoted clause
_MAX_SINGLE = 1500  # characters: a single-quoted passage stays within its paragraph and this
_GAP_TOKENS = 12  # "“…,” Foreign Ministry spokeswoman Lena Voss of Ruritania said"
_TRAILING = " \t\n,;:"
_SENTENCE_END = ".!?…"
_CLAUSE_END = frozenset(",;:.!?…—-")
_SPACES = re.compile(r"\s*")
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_TITLE_WORDS = 8
_TITLE_SMALL = frozenset({"a", "an", "the", "of", "in", "on", "to", "for", "and", "or", "at", "by", "with", "from"})
_SCARE_WORDS = 3  # a quote of this many words may hold a cue as a scare quote ("“totally denied”")

Quote = tuple[int, int]


@functools.lru_cache(maxsize=64)
def quote_spans(text: str) -> tuple[Quote, ...]:
    """Character ranges of quoted passages, quotation marks included. Cached: each statement of
    a document asks for its quotes, and the text (one object per Doc, `doc_text`) hashes once."""
    found = [(m.start(), m.end()) for m in _QUOTE.finditer(text)] + _doubled_quotes(text)
    # straight single quotes are the house style only where they outnumber double ones: American
    # copy nests them inside double quotes and sets pull-quote subheads in them
    doubles = sorted(found)
    straight = [q for q in _single_quotes(text, "'", "'") if not holds_quote(doubles, *q)]
    found += _single_quotes(text, "‘", "’") + (straight if len(straight) >= len(found) else [])
    found += _open_paragraphs(text)
    kept: list[Quote] = []
    # a quote inside another (“… ‘A’ …”, ‘… “A” …’, or within a paragraph left open) is part of it
    for span in sorted(found, key=lambda q: (q[0], -q[1])):
        if kept and span[0] < kept[-1][1]:
            continue
        kept.append(span)
    return tuple(kept)


def holds_quote(quotes: Sequence[Quote], start: int, end: int) -> bool:
    """Some quote of `quotes` (`quote_spans`: disjoint, in text order) overlaps [start, end): the
    last one that opens before `end` is the only one that can."""
    i = bisect.bisect_left(quotes, (end, 0)) - 1
    return i >= 0 and quotes[i][1] > start


def quote_at(quotes: Sequence[Quote], i: int) -> Quote | None:
    """The quote of `quotes` (`quote_spans`: disjoint, in text order) that holds character `i`."""
    k = bisect.bisect_right(quotes, i, key=lambda quote: quote[0]) - 1
    return quotes[k] if k >= 0 and quotes[k][0] <= i < quotes[k][1] else None


def quoted_apart(text: str, quotes: Sequence[Quote], cue: int, speaker: tuple[int, int]) -> bool:
    """The cue (a character offset) is a word of a quotation of more than a few words that does
    not hold the speaker (character range): the parser coordinated a verb of the quoted words
    with the reporting verb ("he said, “who tells her A and then tells everyone B”"), and the
    quoted person, not the cue's subject, speaks. A scare-quoted cue ("X “insisted” that") is
    not apart."""
    quote = quote_at(quotes, cue)
    if quote is None:
        return False
    start, end = quote
    inside = start <= speaker[0] and speaker[1] <= end
    return not inside and len(text[start:end].split()) > _SCARE_WORDS


def _open_paragraphs(text: str) -> list[Quote]:
    """Paragraphs of a quotation that runs over several: by the news convention each opens with a
    quotation mark and only the last one closes ("“A.¶“B,” she said."). In a paragraph followed
    by one that opens with a mark, a last quote left unclosed runs to the paragraph's end ("“A,”
    she said. “B.¶“C.”" holds A and the open B); the span ends after the line break, which
    stands for the closing mark (`is_open`). One pass over the lines (no regex backtracking)."""
    spans: list[Quote] = []
    next_opens = False  # the next line that is not blank opens with a quotation mark
    end = len(text)
    for line in reversed(text.split("\n")):
        start = end - len(line)
        if next_opens and end < len(text):
            curly = line.rfind("“")
            if curly > line.rfind("”"):
                spans.append((start + curly, end + 1))
            elif curly == -1 and line.count('"') % 2 == 1:
                spans.append((start + line.rfind('"'), end + 1))
        if line.strip():
            next_opens = line.lstrip()[:1] in {"“", '"'}
        end = start - 1
    return spans[::-1]


def is_open(text: str, quote: Quote) -> bool:
    """The quote is a paragraph of a longer quotation, left open at its line break."""
    return text[quote[1] - 1] == "\n"


def _doubled_quotes(text: str) -> list[Quote]:
    """Passages in the doubled apostrophes of some wires, ''…'' or ``…'': an opening pair, at
    least two characters, and the first closing pair after them in the line (none inside).
    Closing pairs are listed once and found by bisection (a lazy regex rescanned the rest of the
    text per opening)."""
    if "''" not in text:
        return []
    closing = [match.start() for match in _DOUBLED_CLOSE.finditer(text)]
    breaks = [match.start() for match in re.finditer("\n", text)]
    spans: list[Quote] = []
    for match in _DOUBLED_OPEN.finditer(text):
        start = match.start()
        if spans and start < spans[-1][1]:
            continue
        end = _first(closing, start + 2, len(text))
        if start + 4 <= end < _first(breaks, start, len(text)):
            spans.append((start, end + 2))
    return spans


def _single_quotes(text: str, opening: str, closing_mark: str) -> list[Quote]:
    """Passages in single quotes: curly ‘…’, or straight '…' (web copy of the same papers, where
    the apostrophe is the same character as both marks). The opening mark must start a word; the
    closing one must not be followed by a letter (so “it’s”, “don’t” stay inside). A plural
    possessive inside a quoted clause ("‘the voters’ choice,’ she said") is read as one when the
    quote opened a clause (after a sentence end, a colon or a comma, or at a line's start) and the mark follows
    an s and precedes a lower-case word; a quote opened mid-clause is a partial quote and closes
    at its first such mark (called it ‘reckless’ and ...). A quote that does not close within its
    paragraph (and `_MAX_SINGLE` characters) is not one. Candidate marks and line breaks are
    listed once and searched by bisection, so a text full of stray marks costs n log n."""
    if opening not in text:
        return []
    closing: list[int] = []
    possessive: list[int] = []  # a closing mark, or a plural possessive inside a quoted clause
    for match in re.finditer(closing_mark, text):
        i = match.start()
        after = text[i + 1 : i + 3]
        if not after[:1].isalnum():
            like_possessive = text[i - 1] == "s" and after[:1] == " " and after[1:2].islower()
            (possessive if like_possessive else closing).append(i)
    breaks = [match.start() for match in re.finditer("\n", text)]
    spans: list[Quote] = []
    for match in re.finditer(opening, text):
        start = match.start()
        if spans and start < spans[-1][1]:
            continue
        if not (start + 1 < len(text) and text[start + 1].isalpha() and (start == 0 or not text[start - 1].isalnum())):
            continue
        line_end = _first(breaks, start, len(text))
        stop = min(len(text), start + _MAX_SINGLE, line_end)
        mark = _first(closing, start + 2, stop)
        opens_clause = neighbour(text, start - 1, -1) in _OPENS_CLAUSE | {""}
        if not opens_clause:
            mark = min(mark, _first(possessive, start + 2, stop))  # mid-clause: a partial quote
        if mark < stop:
            spans.append((start, mark + 1))
        elif opens_clause and stop == line_end < len(text) and _opens_next_line(text, line_end, opening):
            spans.append((start, line_end + 1))  # a paragraph of a longer quotation (`_open_paragraphs`)
    return spans


def _opens_next_line(text: str, i: int, opening: str) -> bool:
    """The first line after the line break at `i` that is not blank opens with the mark `opening`
    before a letter: the next paragraph of a quotation left open ("'A.¶'B,' she said.")."""
    spaces = _SPACES.match(text, i)
    j = spaces.end() if spaces else i
    return text.startswith(opening, j) and text[j + 1 : j + 2].isalpha()


def _first(positions: list[int], low: int, default: int) -> int:
    """The first of the sorted `positions` at or after `low`, else `default`."""
    i = bisect.bisect_left(positions, low)
    return positions[i] if i < len(positions) else default


def inner(text: str, quote: Quote) -> tuple[int, int]:
    """A quote's content: marks, spaces and the clause punctuation before the closing mark
    dropped (“Nothing will change,” → `Nothing will change`); sentence-final . ! ? … kept."""
    width = 2 if text.startswith(("''", "``"), quote[0]) else 1
    start, end = quote[0] + width, quote[1] - width
    while end > start + 1 and text[end - 1] in _TRAILING:
        end -= 1
    while start < end - 1 and text[start].isspace():
        start += 1
    return start, end


def quote_for_cue(doc: Doc, cue: int, quotes: Sequence[Quote]) -> tuple[int, int] | None:
    """The (start, end) characters of the quoted content a cue introduces (see the module
    docstring), or None when there is none or the cue is itself inside a quote.

    A quote before the cue must open its sentence and close a clause ("“A,” she said"; not the
    partial quote of "Clubs are ''barely profitable,'' he said", whose clause is the content).
    A quote after the cue must follow it at once or after a comma or colon ("She said: “A”"; not
    the title of "She wrote under the name “B”"), and one right after the cue only when the
    reported clause ends with it ("She said “the plan is dead” after the vote" is a partial quote:
    the clause is the content)."""
    sent = doc[cue].sent
    cue_char = doc[cue].idx
    # quotes are in text order and never overlap: the ones around the cue are found by bisection
    following = bisect.bisect_right(quotes, (cue_char, len(doc_text(doc)) + 1))
    if following and quotes[following - 1][0] < cue_char < quotes[following - 1][1]:
        return None
    text = doc_text(doc)
    cue_end = cue_char + len(doc[cue].text)
    # a colon right after the cue introduces what follows ("“A.” He said: “B.”" takes B)
    introduces = neighbour(text, cue_end, 1) == ":"
    # only the last quote before the cue can be near it: an earlier one has that quote's marks between
    if (
        following
        and not introduces
        and quotes[following - 1][1] <= cue_char
        and _near(doc, quotes[following - 1][1], cue_char)
    ):
        quote = quotes[following - 1]
        spoken = _ends_clause(text, quote) and _opens_sentence(doc, quote) and not is_title(text, quote)
        return inner(text, quote) if spoken else None
    last_token = doc[sent.end - 1]
    end = sent.end_char
    if neighbour(text, end - 1, -1, " \t\n") == ":":
        end = len(text)  # "She said:" and the quote on the next line or in the next paragraph
    for quote in quotes[following:]:
        if quote[0] >= end:
            break
        if cue_char < quote[0] and not (last_token.idx == quote[0] and last_token.text in _MARKS):
            before_mark = neighbour(text, quote[0] - 1, -1, " \t\n")
            if is_title(text, quote):
                return None  # "She wrote a memoir, “Cold Water,” in 2019"
            if before_mark in {",", ":"}:
                return inner(text, quote)
            # at once after the cue: the whole content, unless the clause runs on past it
            at_once = not text[cue_end : quote[0]].strip()
            return inner(text, quote) if at_once and not _clause_goes_on(doc, cue, quote) else None
    return None


def is_title(text: str, quote: Quote) -> bool:
    """The quote is a title or name in title case ("“Cold Water”", "“The Long Road”"), not
    speech: two to eight words, no sentence-final mark, and every word capitalised but the
    articles, conjunctions and prepositions of `_TITLE_SMALL` ("“Four more years”", "“No
    comment”" and "“We are,”" are speech)."""
    start, end = inner(text, quote)
    content = text[start:end]
    words = _WORD.findall(content)
    if not 2 <= len(words) <= _TITLE_WORDS or content.rstrip()[-1:] in _SENTENCE_END:
        return False
    return all(word[0].isupper() or (i > 0 and word in _TITLE_SMALL) for i, word in enumerate(words))


def _opens_sentence(doc: Doc, quote: Quote) -> bool:
    """The quote follows a line break, a sentence end or another quote, or nothing but
    punctuation stands between the start of its sentence and its opening mark."""
    first = doc.char_span(quote[0], quote[0] + 1, alignment_mode="expand")
    if first is None:
        return True
    sent = first[0].sent
    if neighbour(doc_text(doc), quote[0] - 1, -1) in {"", "\n", *_SENTENCE_END, "”", '"', "'", "’"}:
        return True
    return all(tok.is_punct or tok.is_space for tok in doc[sent.start : first[0].i])


def _ends_clause(text: str, quote: Quote) -> bool:
    """The quote closes a clause ("“A,” she said", "“A?” she asked"), unlike a quoted title or
    word before the speaker ("the “Apprentice” star said ...")."""
    width = 2 if text.startswith("''", quote[1] - 2) else 1
    last = neighbour(text, quote[1] - width - 1, -1, " \t'’")  # past a nested quote's mark
    return last in _CLAUSE_END or neighbour(text, quote[1], 1) == ","


def _near(doc: Doc, start_char: int, end_char: int) -> bool:
    """Only the speaker's words lie between a quote's end and the cue: a few tokens, no quote
    mark, no line break, no new sentence but the cue's own ("“A.” Then B. He said" is not near)."""
    indices = _token_range(doc, start_char, end_char)
    if len(indices) > _GAP_TOKENS or doc_text(doc).find("\n", start_char, end_char) != -1:
        return False  # (a line break: the cue is in a later paragraph, not this quote's)
    gap = [doc[i] for i in indices]
    if any(tok.text in _MARKS for tok in gap):
        return False
    return not any(tok.is_sent_start for tok in gap[1:])


def _clause_goes_on(doc: Doc, cue: int, quote: Quote) -> bool:
    """The cue's reported clause runs on past the quote that follows the cue at once ("She said
    “the plan is dead” after the vote"): the quote is a partial quote inside reported speech, and
    the clause, not the quote alone, is the content. (After a comma or colon the quote is the
    content: "He said, “We stay,” and left".)"""
    return any(
        child.dep_ == "ccomp"
        and child.i > cue
        and any(tok.idx >= quote[1] and not (tok.is_punct or tok.is_space) for tok in child.subtree)
        for child in doc[cue].children
    )


def _token_range(doc: Doc, start_char: int, end_char: int) -> range:
    """The indices of the tokens that start in [start_char, end_char), found without touching
    the tokens between (a quote far before a cue spans most of a long article)."""
    span = doc.char_span(start_char, end_char, alignment_mode="expand") if start_char < end_char else None
    if span is None:
        return range(0)
    return range(span.start + (doc[span.start].idx < start_char), span.end)


def stands_alone(doc: Doc, quote: Quote) -> bool:
    """The quote is a sentence or paragraph of its own, with no cue around it: it opens the
    text, a line or a sentence, ends with a sentence-final mark or a line break, and nothing but
    punctuation follows it in its sentence (or before the next line), nor a lower-case word that
    the parser put in a sentence of its own."""
    text = doc_text(doc)
    before = neighbour(text, quote[0] - 1, -1)
    if before and before not in "\n" + _SENTENCE_END + "”\"'»’":
        return False
    if is_open(text, quote):
        return True
    end = inner(text, quote)[1]
    after = neighbour(text, quote[1], 1)
    if (text[end - 1] not in _SENTENCE_END and after not in {"", "\n"}) or after.islower():
        return False  # "“Who pays?” he wondered": a lower-case word goes on with the quote's sentence
    last = doc.char_span(quote[1] - 1, quote[1], alignment_mode="expand")
    if last is None:
        return True
    for tok in (doc[i] for i in _token_range(doc, quote[1], last[-1].sent.end_char)):
        if tok.is_space and "\n" in tok.text:
            return True  # the parser's sentence runs on into the next paragraph
        if not (tok.is_punct or tok.is_space):
            return False
    return True


def neighbour(text: str, i: int, step: int, spaces: str = " \t") -> str:
    """The first character from `i` on (in direction `step`) that is not one of `spaces`; '' at
    either end of the text."""
    while 0 <= i < len(text) and text[i] in spaces:
        i += step
    return text[i] if 0 <= i < len(text) else ""
