"""Question-and-answer transcripts inside a news story.

Interviews and press conferences are often printed as an exchange: an introducing paragraph
("Navarro took questions for 20 minutes. An edited portion follows."), then paragraphs that open
with "Q:" (the reporters) and "A:" (the person interviewed). An answer has no cue and no
quotation marks, so no rule sees it; `answers` finds them, and attribution gives each the
speaker the introduction names (`attribution.attribute`).

An answer is a paragraph opening with "A:" or "A." whose previous paragraph opens with "Q:" /
"Q." or is itself an answer ("Q: …¶A: …¶A: …"); a lone "A." paragraph (an initial) is none.
A story prints one interview: every answer belongs to the introduction of the first exchange,
also after paragraphs without Q or A (an answer running over several paragraphs).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from service.events.doctext import PARAGRAPH

_QUESTION = re.compile(r"(?:Q|Question)\s?[:.]\s")
_ANSWER = re.compile(r"(?:A|Answer)\s?[:.]\s")


@dataclass(frozen=True, slots=True)
class Answer:
    """The words of one answer (character offsets) and the paragraph before the story's first
    exchange, which introduces the one who answers (start == end when the story opens with it)."""

    start: int
    end: int
    intro_start: int
    intro_end: int


def answers(text: str) -> list[Answer]:
    """The answers of every Q&A exchange in `text`, in text order. One pass over the paragraphs."""
    found: list[Answer] = []
    intro = (0, 0)  # the paragraph before the current exchange
    previous: tuple[int, int] = (0, 0)
    previous_kind = ""
    for match in PARAGRAPH.finditer(text):
        line = match.group()
        body = line.lstrip()
        offset = match.start() + len(line) - len(body)
        if _QUESTION.match(body):
            if not found and previous_kind not in {"Q", "A"}:
                intro = previous
            previous_kind = "Q"
        elif (answer := _ANSWER.match(body)) and previous_kind in {"Q", "A"}:
            start, end = offset + answer.end(), match.start() + len(line.rstrip())
            if start < end:
                found.append(Answer(start, end, *intro))
            previous_kind = "A"
        else:
            previous_kind = ""
        previous = (match.start(), match.end())
    return found
