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

Broadcast and hearing transcripts print each turn after a speaker label in capitals instead
("MARY LOUISE KELLY, HOST: Good morning.", then "KELLY: …"), and printed interviews in the
names' own case ("Helga Brandt: …", then "Brandt: …"); `turns` finds them. A label is a
speaker's only when the document shows it is one: it carries a role after a comma ("…, HOST"),
it is the surname of such a label or of a name of several words that labels another paragraph, or
it is a name of several words that labels two or more paragraphs ("MR. JONES:"; in the names'
own case only when the story also uses the name elsewhere: "I'm Dana Whitfield") or whose surname
labels another, or it is one word that takes turns with another such word in words people say
to each other (a hearing's "JUDGE: …¶HARRIS: …¶JUDGE: …¶HARRIS: …", a panel's "Host: …¶Guest:
…"; `_exchanged`). A lone "PUNE:" (an Indian dateline) or "UPDATE:" is none, and a story needs
three such turns to count as a transcript.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise

from service.events.doctext import PARAGRAPH

_QUESTION = re.compile(r"(?:Q|Question)\s?[:.]\s")
_ANSWER = re.compile(r"(?:A|Answer)\s?[:.]\s")
_LABEL = re.compile(
    r"(?P<name>(?:Mc|Mac)?[A-Z][A-Z'’.\-]+(?: [A-Z][A-Z'’.\-]*){0,4})(?P<role>, [A-Z][A-Z'’.\- ]*)?:[ \t]+(?=\S)"
)  # "McGETTIGAN:" keeps the small c of its prefix
_NAME_LABEL = re.compile(r"(?P<name>[A-Z][a-z'’\-]+(?: [A-Z][A-Za-z'’\-]+){0,3})(?P<role>)?:[ \t]+(?=\S)")
"""An interview's labels in the names' own case ("Helga Brandt: …", then "Brandt: …")."""
_MIN_TURNS = 3
_VOWEL = re.compile(r"[aeiouy]", re.IGNORECASE)
_SPOKEN = re.compile(r"\?|\b(?:I|I'm|[Yy]ou|[Ww]e|[Mm]y|[Yy]our|[Oo]ur|[Mm]e|[Uu]s)\b")
"""First and second person, or a question: turns people speak, not notes about them."""


@dataclass(frozen=True, slots=True)
class Answer:
    """The words of one answer (character offsets) and the paragraph before the story's first
    exchange, which introduces the one who answers (start == end when the story opens with it)."""

    start: int
    end: int
    intro_start: int
    intro_end: int


def _paragraphs(text: str) -> Iterator[tuple[re.Match[str], int, str]]:
    """Each paragraph, where its words start and its text from there (trailing blanks kept):
    both Q&A exchanges and labelled turns are read from a paragraph's opening words."""
    for match in PARAGRAPH.finditer(text):
        body = match.group().lstrip()
        yield match, match.end() - len(body), body


def answers(text: str) -> list[Answer]:
    """The answers of every Q&A exchange in `text`, in text order. One pass over the paragraphs."""
    found: list[Answer] = []
    intro = (0, 0)  # the paragraph before the current exchange
    previous: tuple[int, int] = (0, 0)
    previous_kind = ""
    for match, offset, body in _paragraphs(text):
        if _QUESTION.match(body):
            if not found and previous_kind not in {"Q", "A"}:
                intro = previous
            previous_kind = "Q"
        elif (answer := _ANSWER.match(body)) and previous_kind in {"Q", "A"}:
            start, end = offset + answer.end(), offset + len(body.rstrip())
            if start < end:
                found.append(Answer(start, end, *intro))
            previous_kind = "A"
        else:
            previous_kind = ""
        previous = (match.start(), match.end())
    return found


@dataclass(frozen=True, slots=True)
class Turn:
    """One turn of a transcript: the label's name (character offsets), the full name it stands
    for ("KELLY" for "MARY LOUISE KELLY", else the name itself) and the words spoken."""

    name_start: int
    name_end: int
    full_name: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class _Labels:
    """What a story's labels show about each other: how often each name labels a paragraph, the
    surnames of labels with a role or of several words, and names the text also uses outside its
    labels ("I'm Dana Whitfield")."""

    uses: Counter[str]
    roles: dict[str, str]
    surnames: set[str]
    mentioned: set[str]
    named: dict[str, str]
    exchanged: set[str]

    def speaks(self, name: str, role: str | None) -> bool:
        """The label shows by itself that it names a speaker (see the module docstring)."""
        if " " in name:  # in the names' own case only as a name ("Read More:" twice is none)
            repeated = self.uses[name] > 1 and (name.isupper() or name in self.mentioned)
            return repeated or name.split()[-1] in self.uses
        return bool(role) or name in self.roles or name in self.surnames or name in self.named or name in self.exchanged


def turns(text: str) -> list[Turn]:
    """The turns of a transcript printed with speaker labels, in text order; none when `text`
    is not one (see the module docstring). One pass over the paragraphs."""
    labelled: list[tuple[re.Match[str], int, int]] = []
    for _, offset, body in _paragraphs(text):
        body = body.rstrip()
        label = _LABEL.match(body) or _NAME_LABEL.match(body)
        if label is not None and not _stage_direction(body[label.end() :]):
            labelled.append((label, offset, offset + len(body)))
    if len(labelled) < _MIN_TURNS:
        return []  # a lone "PESHAWAR:" dateline: no transcript, whatever its labels show
    uses = Counter(label["name"] for label, _, _ in labelled)
    # surname → full name, of labels of several words and of labels with a role
    several = {label["name"].split()[-1]: label["name"] for label, _, _ in labelled if " " in label["name"]}
    spoken_turns = [(label["name"], text[offset + label.end() : end]) for label, offset, end in labelled]
    said: dict[str, list[str]] = {}
    for name, words in spoken_turns:
        said.setdefault(name, []).append(words)
    # a box score's "Kings:" is a named team too, but nobody speaks in its notes
    named = {name: full for name, full in _named_in_text(text, uses).items() if _mostly_spoken(said[name])}
    labels = _Labels(
        uses,
        {label["name"].split()[-1]: label["name"] for label, _, _ in labelled if label["role"]},
        set(several),
        {name for name in uses if text.count(name) > uses[name]},
        named,
        _exchanged(spoken_turns, uses, named),
    )
    if sum(labels.speaks(label["name"], label["role"]) for label, _, _ in labelled) < _MIN_TURNS:
        return []
    # a transcript: every label of a name or of a known surname is a turn ("RON TILLMAN:" once)
    full = {**named, **several, **labels.roles}
    return [
        Turn(offset, offset + label.end("name"), full.get(label["name"], label["name"]), offset + label.end(), end)
        for label, offset, end in labelled
        if label["name"] in full
        or label["name"] in labels.exchanged
        or (" " in label["name"] and (label["name"].isupper() or labels.speaks(label["name"], None)))
    ]


def _named_in_text(text: str, uses: Counter[str]) -> dict[str, str]:
    """One-word labels that are the surname of a name of several words the story writes in its
    own case ("This is Fiona Drysdale; my guest is Isla Munro" before "DRYSDALE: …", "MUNRO: …"):
    label → that full name."""
    named = {}
    for name in uses:
        if " " in name or not name.removeprefix("Mac").removeprefix("Mc").isupper():
            continue  # a label in capitals only: "Kings:", "Transcript:" are a team and a heading
        for found in re.finditer(rf"\b{re.escape(name)}\b", text, flags=re.IGNORECASE):
            if found.group().isupper():
                continue  # the label itself, or the name in capitals
            before = text[: found.start()].split()[-2:]
            if len(before) == 2 and re.search(r"(?:^|[\n.!?])\s*$", text[: found.start()].rsplit(before[0], 1)[0]):
                before = before[1:]  # "Presenter Fiona Gillies" opening a sentence: the title goes
            given = next((before[k:] for k in range(len(before)) if all(map(_given_name, before[k:]))), [])
            if given and text[found.start() - 1] == " ":
                named[name] = " ".join([*given, found.group()])
                break
    return named


def _given_name(word: str) -> bool:
    """Shaped like a given name: a capital, then small letters with a vowel ("Pádraig", not "Mr",
    "I'm" or "the")."""
    letters = word.replace("-", "")
    return letters.isalpha() and word[:1].isupper() and letters[1:].islower() and _VOWEL.search(word) is not None


def _exchanged(turns: list[tuple[str, str]], uses: Counter[str], named: dict[str, str]) -> set[str]:
    """One-word labels that take turns: two or more that each label two paragraphs or more, never
    twice in a row (a one-word label the story names in full may speak once between them),
    changing hands at least three times, in words people say to each other (most turns address
    or speak as a person, or ask): "JUDGE: Do you understand?¶HARRIS: Yes.¶…". A live blog's
    "UPDATE: …¶UPDATE: …", a dateline, or a box score's notes by team ("Kings: Pryor has scored
    30 …¶Hawks: …") is none."""
    repeated = {name for name, count in uses.items() if " " not in name and count > 1}
    sequence = [(name, said) for name, said in turns if name in repeated or name in named]
    changes = sum(a[0] != b[0] for a, b in pairwise(sequence))
    alternating = changes == len(sequence) - 1 and changes >= _MIN_TURNS
    spoken = _mostly_spoken([said for _, said in sequence])
    return {name for name, _ in sequence} if len(repeated) > 1 and alternating and spoken else set()


def _mostly_spoken(turns: list[str]) -> bool:
    """Most of the turns address or speak as a person, or ask (`_SPOKEN`)."""
    return sum(bool(_SPOKEN.search(said)) for said in turns) * 2 >= len(turns)


def _stage_direction(words: str) -> bool:
    """ "(LAUGHTER)", "(SOUNDBITE OF ARCHIVED RECORDING)": a turn with nothing said."""
    return (words.startswith("(") and words.endswith(")")) or len(words.split()) < 2
