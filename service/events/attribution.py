"""Document-level attribution of statements: how each speaker was found, and quotes that carry
no cue of their own.

News writing attributes a run of quotation once: “A,” she said. “B.” — and a paragraph that is
only a quotation continues the speaker of the quote before it. After the rules' events are built,
every quote that no statement covers and that stands alone (a sentence or paragraph of its own,
see `quotes.stands_alone`) or continues a quote after its cue ("“A,” she said, “B.”") becomes a
statement of the nearest preceding attributed statement's speaker, searched in the same and the
previous paragraph only; with none there, the quote is left alone (no speaker is invented). A
quote right after a sentence that presents a new person by name ("X disagreed. “…”") is that
person's instead (`statement.quote.introduced`), and so is a paragraph that opens with a
quotation no earlier speaker continues ("X made an emotional appeal.¶“…”"). A paragraph of a quotation that runs over
several paragraphs ("“A.¶“B,” she said.": each opens with a mark, only the last closes) takes
the speaker of the cue of the paragraph that closes it; when that has no cue, the speaker of the
paragraph before when it ends with a quotation (“A,” she said. “B.¶“C.¶“D.”), else none.

The answers of a Q&A transcript ("Q: …¶A: …", `transcripts.answers`) take the speaker its
introducing paragraph names ("Navarro took questions"), when that person spoke before; when no
one named there spoke, the person it presents ("Hannah Voss opened a bakery … She spoke to Owen
Marsh": not the one spoken to), with `speaker_source` LABEL. The turns of a transcript printed
with speaker labels ("KELLY: …", `transcripts.turns`) are statements of the labels' speakers
(`speaker_source` LABEL), and quotes inside them are theirs to report.

Carried-over statements take `speaker_source` CARRIED_OVER and the rule id of the statement they
continue; the others take CUE, or PRONOUN when the speaker is a pronoun resolved elsewhere. A
statement whose rule found no content (a quote cue whose quote turned out to be a title or a word
in passing) is dropped, as is one cued inside a quotation that is itself someone's quote ("“The
council promised a new roof,” X said": X's quote, not the council's statement). Reported speech
whose content opens a quote and stops inside it (the parser ends the clause with the quote's
first sentence) runs on to the quote's end.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import replace

from spacy.tokens import Doc, Token

from service.events.doctext import PARAGRAPH, doc_text
from service.events.mentions import entity_at, full_name_before
from service.events.model import Event, Mention
from service.events.quotes import Quote, inner, is_open, is_title, neighbour, quote_at, quote_spans, stands_alone
from service.events.ranges import merged
from service.events.transcripts import Answer, Turn, answers, turns

PRONOUNS = frozenset({"he", "she", "it", "they", "we", "him", "her", "them", "his", "its", "their", "i", "you"})
CARRIED_CONFIDENCE = 0.9
"""A carried-over statement's confidence, relative to the statement it continues."""
TURN_RULE = "statement.transcript.turn"
"""The rule id of a transcript's turns, which the engine finds without a rule of the pack."""
TURN_CONFIDENCE = 0.85
INTRODUCED_RULE = "statement.quote.introduced"
"""The rule id of a quote whose speaker the sentence before it presents without a cue."""
INTRODUCED_CONFIDENCE = 0.7
ANSWER_RULE = "statement.transcript.answer"
"""The rule id of an answer whose speaker only the exchange's introduction names."""
_MIN_WORDS = 2


def attribute(doc: Doc, events: list[Event]) -> list[Event]:
    """`events` with `speaker_source` on every statement, plus the carried-over statements. Quotes
    are visited in text order, and the statements each one is compared with are kept as it goes
    (`_Said`), so a long document costs about its quotes plus its statements."""
    text = doc_text(doc)
    quotes = quote_spans(text)
    out = [_with_source(_close_quote(text, quotes, e)) for e in events if e.type != "statement" or "content" in e.roles]
    sentences = [sent.start_char for sent in doc.sents]
    out.extend(_turn(text, turn, sentences) for turn in turns(text))
    said = _Said(doc, [e for e in out if e.type == "statement"], sentences, quotes)
    carried: list[Event] = []
    for index, quote in enumerate(quotes):
        start, end = inner(text, quote)
        if len(text[start:end].split()) < _MIN_WORDS or is_title(text, quote) or said.covered(start, end):
            continue
        opens_paragraph = is_open(text, quote) and neighbour(text, quote[0] - 1, -1) in {"", "\n"}
        source = said.continued_by(quotes, index) if opens_paragraph else said.antecedent(quote)
        if opens_paragraph and source is None and _runs_on(text, quotes, index):
            source = said.antecedent(quote)
        # a paragraph that opens with a quote and continues no one is the person the paragraph
        # before presents ("X made an emotional appeal outside the station.¶“…”")
        person = None if opens_paragraph and source is not None else _introduced(doc, quote, source)
        if person is None and source is None and _pronoun_presents(doc, quote):
            # "“A,” X said.¶He paused.¶“B.”": a reaction told of the speaker goes between
            source = said.antecedent(quote, reach=2)
        if person is not None:
            carried.append(said.introduced(person, start, end))
        elif source is not None:
            carried.append(said.carried(source, start, end))
    for answer in answers(text):
        if (source := _answerer(doc, answer, said.statements)) is not None:
            carried.append(said.carried(source, answer.start, answer.end))
        elif (person := _interviewee(doc, answer)) is not None:
            carried.append(said.answered(person, answer.start, answer.end))
    return sorted(_without_quoted_speech([*out, *carried], quotes), key=lambda e: (e.start, e.end, e.rule_id))


def _without_quoted_speech(events: list[Event], quotes: Sequence[Quote]) -> list[Event]:
    """Without the statements cued inside a quotation that is itself what someone said ("“This
    Prime Minister promised a million homes,” X said": X's quote, not the Prime Minister's
    statement): quote annotators attribute the quotation, not the speech it reports. The direct
    contents are merged into disjoint ranges, so each cue is looked up by bisection."""
    quoted = merged(
        (e.roles["content"].start, e.roles["content"].end)
        for e in events
        if e.type == "statement" and e.attrs.get("kind") == "DIRECT" and "content" in e.roles
    )
    starts = [start for start, _ in quoted]

    def inside(cue: Mention) -> bool:
        k = bisect.bisect_right(starts, cue.start) - 1
        return k >= 0 and cue.start < quoted[k][1] and quote_at(quotes, cue.start) is not None

    return [e for e in events if e.type != "statement" or (cue := e.roles.get("cue")) is None or not inside(cue)]


def _turn(text: str, turn: Turn, sentences: Sequence[int]) -> Event:
    """The statement of one transcript turn: its label names the speaker, its colon is the cue
    and the rest of the paragraph is what was said."""
    name = text[turn.name_start : turn.name_end]
    speaker = Mention(name, turn.name_start, turn.name_end, resolved=turn.full_name if turn.full_name != name else "")
    content = Mention(text[turn.start : turn.end], turn.start, turn.end)
    colon = text.rindex(":", turn.name_end, turn.start)
    return Event(
        type="statement", rule_id=TURN_RULE, start=turn.name_start, end=turn.end,
        text=text[turn.name_start : turn.end], confidence=TURN_CONFIDENCE,
        sentence_index=max(bisect.bisect_right(sentences, turn.name_start) - 1, 0),
        roles={"speaker": speaker, "content": content, "cue": Mention(":", colon, colon + 1)},
        attrs={"kind": "DIRECT", "speaker_source": "LABEL"},
    )  # fmt: skip


def _answerer(doc: Doc, answer: Answer, statements: Sequence[Event]) -> Event | None:
    """The statement whose speaker gives a transcript's answers: the latest one before the
    exchange whose speaker's name has a proper noun of the introducing paragraph ("Navarro took
    questions"); when that paragraph names nobody, the latest one in it or the paragraph before.
    None when it names only people who have not spoken: no speaker is invented."""
    before = [e for e in statements if "speaker" in e.roles and e.start < answer.intro_end]
    intro = doc.char_span(answer.intro_start, answer.intro_end, alignment_mode="expand")
    if not before or intro is None:
        return None
    named = {tok.lower_ for tok in intro if tok.pos_ == "PROPN"}
    if named:
        return next((e for e in reversed(before) if named & set(_name(e).lower().split())), None)
    near = doc_text(doc).rfind("\n", 0, max(answer.intro_start - 1, 0))
    return before[-1] if _content_end(before[-1]) > near else None


def _introduced(doc: Doc, quote: Quote, source: Event | None) -> Mention | None:
    """The person the sentence right before a quote that stands alone presents, when no
    statement reaches into that sentence ("“We were robbed,” said Nabi.¶His counterpart, Pitso
    Mosimane, disagreed. “The better team won.”": Mosimane's): sports and feature copy introduce
    a speaker by a reaction, then quote them. Its subject, or the name in apposition to it, must
    be a PERSON; a pronoun subject goes on with the speaker before."""
    subject = _presenting_subject(doc, quote)
    if subject is None or (source is not None and source.end > subject.sent.start_char):
        return None  # the last statement is in (or after) that sentence: it goes on
    named = [subject, *(c for c in subject.children if c.dep_ == "appos")]
    for tok in named:
        ent = entity_at(doc, tok.i)
        if ent is not None and ent.label_ == "PERSON":
            full = full_name_before(doc, ent[-1]) if len(ent) == 1 else None
            return Mention(ent.text, ent.start_char, ent.end_char, resolved=full or ent.text)
    if subject.pos_ == "PROPN" and (person := full_name_before(doc, subject)) is not None:
        return Mention(subject.text, subject.idx, subject.idx + len(subject), resolved=person)
    return None


def _presenting_subject(doc: Doc, quote: Quote) -> Token | None:
    """The subject of the sentence right before a quote that stands alone."""
    if not stands_alone(doc, quote):
        return None
    first = doc.char_span(quote[0], quote[0] + 1, alignment_mode="expand")
    if first is None or first.start == 0 or first[0].sent.start == 0:
        return None
    before = doc[first[0].sent.start - 1].sent
    return next((tok for tok in before.root.children if tok.dep_ == "nsubj"), None)


_PRESENTING_PRONOUNS = frozenset({"he", "she"})


def _pronoun_presents(doc: Doc, quote: Quote) -> bool:
    """The sentence right before a quote that stands alone tells of "he" or "she" ("He paused,
    visibly emotional."): the person quoted last goes on speaking."""
    subject = _presenting_subject(doc, quote)
    return subject is not None and subject.lower_ in _PRESENTING_PRONOUNS


_INTERVIEWER_PREPS = frozenset({"to", "with", "by"})
"""Who a person in an introduction is governed by when they asked the questions ("She spoke to
Owen Marsh", "an interview with ...": then the subject is the other one)."""


def _interviewee(doc: Doc, answer: Answer) -> Mention | None:
    """The person an exchange's introduction presents when no one named there spoke before
    ("Hannah Voss opened a bakery in 2016. She spoke to Owen Marsh."): its first PERSON that
    is not the one spoken to, reading the paragraph before too when the introduction opens with
    "he" or "she". None when the introduction names no such person."""
    intro = doc.char_span(answer.intro_start, answer.intro_end, alignment_mode="expand")
    if intro is None:
        return None
    if intro[0].lower_ in _PRESENTING_PRONOUNS and answer.intro_start > 0:
        # "She spoke to Owen Marsh at her home.": she is the one the paragraph before presents
        text = doc_text(doc)
        start = text.rfind("\n", 0, answer.intro_start - 1) + 1
        intro = doc.char_span(start, answer.intro_end, alignment_mode="expand") or intro
    for ent in intro.ents:
        head = ent.root.head
        if ent.label_ == "PERSON" and not (ent.root.dep_ == "pobj" and head.lower_ in _INTERVIEWER_PREPS):
            name = ent[:-1] if len(ent) > 1 and ent[-1].tag_ == "POS" else ent  # "Ana Ruiz’s novel"
            return Mention(name.text, name.start_char, name.end_char, resolved=name.text)
    return None


def _name(event: Event) -> str:
    speaker = event.roles["speaker"]
    return speaker.resolved or speaker.text


class _Said:
    """The statements of a document as its quotes are visited in text order: those a quote may
    be covered by (their content reaches past the quote's start), the latest-ending one with a
    speaker before the quote, and the carried-over statements made so far."""

    WINDOW = 5000
    """Characters before a closing quote searched for the statement that attributes it."""

    def __init__(self, doc: Doc, statements: list[Event], sentences: list[int], quotes: Sequence[Quote]) -> None:
        self.doc, self.text, self.quotes = doc, doc_text(doc), quotes
        self.statements = sorted(statements, key=lambda e: e.start)
        self._starts = [e.start for e in self.statements]
        self._by_reach = sorted(self.statements, key=_reach)  # admitted to `_active` by where they start
        self._admitted = 0
        self._active: list[Event] = []
        self._by_start = self.statements  # admitted to `_best` by start
        self._before = 0
        self._best: tuple[tuple[int, int], Event] | None = None
        self._sentences = sentences  # where each sentence of `doc` starts (characters)
        self._paragraphs = [match.start() for match in PARAGRAPH.finditer(self.text)]

    def covered(self, start: int, end: int) -> bool:
        """Some statement's content already holds (part of) the quote. A statement cued inside the
        quote does not count: it is speech the quoted speaker reports ("“… they hear him say it
        is a hoax …”"). Calls come with growing `start`: a content ending before one never
        covers a later quote."""
        while self._admitted < len(self._by_reach) and _reach(self._by_reach[self._admitted]) < end:
            self._active.append(self._by_reach[self._admitted])
            self._admitted += 1
        self._active = [e for e in self._active if _content_end(e) > start and "content" in e.roles]
        for event in self._active:
            content, cue = event.roles["content"], event.roles.get("cue")
            if cue is not None and start <= cue.start < end:
                continue
            if content.start < end:
                return True
        return False

    def antecedent(self, quote: Quote, reach: int = 1) -> Event | None:
        """The statement whose speaker the quote continues, if any (see the module docstring), at
        most `reach` paragraphs before it."""
        while self._before < len(self._by_start) and self._by_start[self._before].start < quote[0]:
            self._admit(self._by_start[self._before])
            self._before += 1
        if self._best is None:
            return None
        source = self._best[1]
        cue = source.roles.get("cue")
        if (
            source.attrs.get("kind") == "DIRECT" and cue is not None and cue.end <= quote[0]
            and _after_comma(self.text, quote[0]) and _same_sentence(self.doc, cue.start, quote[0])
        ):  # fmt: skip
            return source  # "“A,” she said, “B.”": the quote goes on after its cue
        if not stands_alone(self.doc, quote):
            return None
        gap = self._paragraph(quote[0]) - self._paragraph(_content_end(source) - 1)
        return source if gap <= reach else None

    def _admit(self, event: Event) -> None:
        """Take part in the latest-ending statement with a speaker (the first of equals stays).
        Not speech reported inside a quotation ("“The landlord says it is fixed,” X said. “It
        isn't.”"): the quotation's speaker goes on, not the one they quote."""
        cue = event.roles.get("cue")
        if cue is not None and quote_at(self.quotes, cue.start) is not None and event.attrs.get("kind") != "DIRECT":
            return
        if "speaker" in event.roles:
            key = (_content_end(event), event.start)
            if self._best is None or key > self._best[0]:
                self._best = (key, event)

    def continued_by(self, quotes: Sequence[Quote], index: int) -> Event | None:
        """For a paragraph of a quotation left open ("“A.¶“B,” she said."), the statement of the
        paragraph that closes the quotation, when a cue attributes it: the speaker comes after.
        Never the speaker before: a run of open paragraphs with no cue at its end is mostly an
        excerpt of a document or a transcript, not the last speaker's words."""
        later = iter(quotes[index + 1 :])
        closing = next(later, None)
        while closing is not None and is_open(self.text, closing):
            closing = next(later, None)
        if closing is None:
            return None
        start, end = inner(self.text, closing)
        first = bisect.bisect_left(self._starts, closing[0] - self.WINDOW)
        for event in self.statements[first : bisect.bisect_left(self._starts, end)]:
            content, cue = event.roles.get("content"), event.roles.get("cue")
            cued = event.attrs.get("speaker_source") in {"CUE", "PRONOUN"} and event.attrs.get("kind") == "DIRECT"
            outside = cue is not None and not closing[0] <= cue.start < closing[1]  # not speech it reports
            overlaps = content is not None and content.start < end and start < content.end
            if cued and outside and "speaker" in event.roles and overlaps:
                return event
        return None

    def carried(self, source: Event, start: int, end: int) -> Event:
        """The statement of a quote with the speaker of `source`; it takes part in what later
        quotes are compared with."""
        confidence = round(source.confidence * CARRIED_CONFIDENCE, 3)
        return self._made(source.roles["speaker"], source.rule_id, confidence, "CARRIED_OVER", start, end)

    def answered(self, speaker: Mention, start: int, end: int) -> Event:
        """The statement of a transcript's answer whose speaker only its introduction names."""
        return self._made(speaker, ANSWER_RULE, TURN_CONFIDENCE, "LABEL", start, end)

    def introduced(self, speaker: Mention, start: int, end: int) -> Event:
        """The statement of a quote whose speaker the sentence before it presents (`_introduced`)."""
        return self._made(speaker, INTRODUCED_RULE, INTRODUCED_CONFIDENCE, "CARRIED_OVER", start, end)

    def _made(self, speaker: Mention, rule_id: str, confidence: float, source: str, start: int, end: int) -> Event:
        content = Mention(self.text[start:end], start, end)
        sentence = bisect.bisect_right(self._sentences, start) - 1
        event = Event(
            type="statement", rule_id=rule_id, start=start, end=end, text=content.text,
            sentence_index=max(sentence, 0), confidence=confidence,
            roles={"speaker": speaker, "content": content},
            attrs={"kind": "DIRECT", "speaker_source": source},
        )  # fmt: skip
        self._active.append(event)
        self._admit(event)
        return event

    def _paragraph(self, i: int) -> int:
        """The number of the paragraph (a line that is not blank) holding character `i`."""
        return bisect.bisect_left(self._paragraphs, self.text.rfind("\n", 0, i) + 1)


def _runs_on(text: str, quotes: Sequence[Quote], index: int) -> bool:
    """The quote goes on from a quotation in the paragraph right before: one the paragraph left
    open (“A.¶“B.¶“C.”: one quotation, however many paragraphs it runs over) or one it closed
    and attributed (“A,” she says.¶“B.¶“C.”, the magazine way of going on). A paragraph before
    with no quotation ("The letter read:") presents an excerpt, which is no one's quote."""
    if index == 0:
        return False
    between = text[quotes[index - 1][1] : quotes[index][0]]
    if is_open(text, quotes[index - 1]):
        return not between.strip()
    return "\n" in between and not between[between.index("\n") :].strip()


def _reach(event: Event) -> int:
    """Where an event's content (or, without one, its span) starts."""
    content = event.roles.get("content")
    return min(event.start, content.start) if content is not None else event.start


def _close_quote(text: str, quotes: Sequence[Quote], event: Event) -> Event:
    """Reported speech whose content opens a quote and stops inside it (the clause ends with the
    quote's first sentence: 'said the plan was “a mistake. It will cost jobs.”') runs on to the
    end of that quote, within its paragraph."""
    content = event.roles.get("content")
    if event.type != "statement" or content is None or event.attrs.get("kind") == "DIRECT":
        return event
    for quote in quotes:
        if content.start <= quote[0] < content.end < quote[1] and "\n" not in text[content.end : quote[1]]:
            end = quote[1]
            grown = Mention(text[content.start : end], content.start, end, content.label, content.resolved)
            stop = max(event.end, end)
            return replace(event, end=stop, text=text[event.start : stop], roles={**event.roles, "content": grown})
    return event


def _with_source(event: Event) -> Event:
    speaker = event.roles.get("speaker")
    if event.type != "statement" or speaker is None:
        return event
    source = "PRONOUN" if speaker.text.lower() in PRONOUNS else "CUE"
    return replace(event, attrs={**event.attrs, "speaker_source": source})


def _after_comma(text: str, i: int) -> bool:
    return neighbour(text, i - 1, -1, " \t\n\r") == ","


def _content_end(event: Event) -> int:
    content = event.roles.get("content")
    return content.end if content is not None else event.end


def _same_sentence(doc: Doc, a: int, b: int) -> bool:
    first = doc.char_span(a, a + 1, alignment_mode="expand")
    second = doc.char_span(b, b + 1, alignment_mode="expand")
    return first is not None and second is not None and first[0].sent.start == second[0].sent.start
