"""Quotation conventions of other outlets: single marks (curly ‘…’ or straight '…', the house
style of British and Irish papers, whose closing mark is also the apostrophe) and quotations that run over several
paragraphs (each paragraph opens with a mark, only the last closes). Quote finding on the text
(fast), and statements from articles written that way with the shipped pack and the real model."""

from __future__ import annotations

import time

import pytest
from spacy.language import Language

from service.engine.compiled import CompiledRuleSet
from service.events.quotes import quote_spans
from service.events.transcripts import answers, turns
from tests.test_statements import _statements

CASES = [
    # (text, the quoted passages it holds)
    ("‘We will not reopen the depot,’ the manager said.", ["‘We will not reopen the depot,’"]),
    ("‘It’s too late, isn’t it?’ she asked.", ["‘It’s too late, isn’t it?’"]),
    ("He called the scheme ‘reckless’ and ‘unfunded’.", ["‘reckless’", "‘unfunded’"]),
    # a plural possessive inside a quoted clause is not its end
    ("She said: ‘This is the farmers’ land, not yours.’", ["‘This is the farmers’ land, not yours.’"]),
    ("‘The nurses’ pay offer is an insult,’ said Ms Kerr.", ["‘The nurses’ pay offer is an insult,’"]),
    # nested marks of the other kind belong to the outer quote
    ("‘They shouted “get out” at us,’ he said.", ["‘They shouted “get out” at us,’"]),
    ("“They shouted ‘get out’ at us,” he said.", ["“They shouted ‘get out’ at us,”"]),
    # apostrophes alone are no quotes; a quote must close in its paragraph
    ("The club’s owners’ plans were rejected.", []),
    ("Fans recalled the ’90s sound of the band.", []),
    ("‘We are leaving\nthe region,’ he said.", []),
    # a paragraph left open before one that opens with a mark runs to its end (with the line break)
    ("“We tried.\n\n“It failed,” she said.", ["“We tried.\n", "“It failed,”"]),
    ("“A plan,” she said. “We tried.\n“It failed.”", ["“A plan,”", "“We tried.\n", "“It failed.”"]),
    ('"We tried.\n\n"It failed," she said.', ['"We tried.\n', '"It failed,"']),
    # ... but not one followed by narration, nor a closed one
    ("“We tried.\n\nShe left.", []),
    ("“We tried.”\n\n“It failed.”", ["“We tried.”", "“It failed.”"]),
    # single quotes over several paragraphs, by the same convention
    ("She said: ‘It was cruel.\n\n‘Please come forward,’ she added.", ["‘It was cruel.\n", "‘Please come forward,’"]),
    ("She said: 'It was cruel.\n\n'Please come forward.'", ["'It was cruel.\n", "'Please come forward.'"]),
    ("She said: 'It was cruel.\n\nThe men left.", []),
    # straight single quotes (web copy of British papers) where they are the house style
    ("'We will not reopen it,' the manager said. 'It's too late.'", ["'We will not reopen it,'", "'It's too late.'"]),
    ("He called the scheme 'reckless' and said the farmers' land was safe.", ["'reckless'"]),
    ("The Smiths' house and the Joneses' car were searched.", []),
    # ... not where double quotes are: American copy nests them and sets subheads in them
    (
        "“He said 'never' twice,” she said.\n\n'A tough decision.'\n\n“We left,” he said.",
        ["“He said 'never' twice,”", "“We left,”"],
    ),
]


@pytest.mark.fast
@pytest.mark.parametrize(("text", "expected"), CASES)
def test_single_quoted_passages(text: str, expected: list[str]) -> None:
    assert [text[a:b] for a, b in quote_spans(text)] == expected


@pytest.mark.fast
@pytest.mark.parametrize(
    "text",
    [
        '"' * 1_000_000,
        "‘a " * 300_000,
        "‘a’b’c " * 150_000,
        "“x\n" * 200_000,
        "‘" + "s’ a" * 200_000,
        "``a" * 333_000,
        "''a" * 333_000,
        "'a " * 300_000,
    ],
    ids=["straight", "openings", "apostrophes", "open-paragraphs", "possessives", "backticks", "doubled", "singles"],
)
def test_quote_finding_stays_linear_on_a_megabyte_of_stray_marks(text: str) -> None:
    """Quadratic scanning (a regex that backtracks or rescans the rest of the text per mark, or a
    search to the end of the text per mark) took hours on such texts; n log n takes about a
    second. The bound only tells the two apart."""
    started = time.perf_counter()
    quote_spans(text + "!")  # not a text any earlier test cached
    assert time.perf_counter() - started < 10


ARTICLE = (
    "Ferry services to the outer islands will be cut from April, the operator confirmed.\n\n"
    "‘We cannot run boats that lose money on every crossing,’ said Alan Brodie, the company’s "
    "managing director. ‘The subsidy has not kept pace with fuel.’\n\n"
    "‘Nobody here is surprised any more.’\n\n"
    "Island councillor Morag Innes described the decision as ‘a betrayal’ of rural communities."
)


def test_a_british_style_article(nlp: Language, compiled: CompiledRuleSet) -> None:
    events = _statements(nlp, compiled, ARTICLE)
    found = [
        (e.roles["speaker"].text if "speaker" in e.roles else "", e.roles["content"].text,
         e.attrs["kind"], e.attrs["speaker_source"])
        for e in events
    ]  # fmt: skip
    assert ("Alan Brodie", "We cannot run boats that lose money on every crossing", "DIRECT", "CUE") in found
    assert ("Alan Brodie", "The subsidy has not kept pace with fuel.", "DIRECT", "CARRIED_OVER") in found
    assert ("Alan Brodie", "Nobody here is surprised any more.", "DIRECT", "CARRIED_OVER") in found
    # every content is whole: no statement's content runs through a cue or swallows a mark
    assert all(not content.startswith("‘") and "said Alan" not in content for _, content, _, _ in found)


STRAIGHT_SINGLES = (
    "Two men were hurt in a fight outside a bar in the town centre on Saturday.\n\n"
    "Inspector Dana Reid said: 'We know a lot of people saw what happened. Please come forward.'\n\n"
    "'Somebody will have filmed it on a phone.'\n\n"
    "The landlord said the bar's doors would stay shut until the 'mess' was cleared."
)


def test_straight_single_quotes_where_they_are_the_house_style(nlp: Language, compiled: CompiledRuleSet) -> None:
    found = {
        (e.roles["speaker"].text, e.roles["content"].text, e.attrs["kind"], e.attrs["speaker_source"])
        for e in _statements(nlp, compiled, STRAIGHT_SINGLES)
        if "speaker" in e.roles
    }
    reid = "We know a lot of people saw what happened. Please come forward."
    assert ("Dana Reid", reid, "DIRECT", "CUE") in found
    assert ("Dana Reid", "Somebody will have filmed it on a phone.", "DIRECT", "CARRIED_OVER") in found
    assert any(kind == "MIXED" for speaker, _, kind, _ in found if speaker == "The landlord")


MULTI_PARAGRAPH = (
    "The county will close two of its four swimming pools next year.\n\n"
    "Its finance chief, Helen Marsh, said the pools lost money every month.\n\n"
    "“Nobody wants to close a pool. We looked at every other saving first.\n\n"
    "“There is simply nothing left to cut,” Marsh said.\n\n"
    "Swimming clubs said they had not been consulted.\n\n"
    "“Our members learned about it from the newspaper.\n\n"
    "“Then they read it again.\n\n"
    "“We deserve better.”"
)


def test_a_quotation_over_several_paragraphs(nlp: Language, compiled: CompiledRuleSet) -> None:
    events = _statements(nlp, compiled, MULTI_PARAGRAPH)
    by_content = {e.roles["content"].text: e for e in events}
    opening = by_content["Nobody wants to close a pool. We looked at every other saving first."]
    # the open paragraph takes the speaker of the cue that closes the quotation, after it
    assert opening.roles["speaker"].text == "Marsh"
    assert opening.attrs["speaker_source"] == "CARRIED_OVER"
    assert by_content["There is simply nothing left to cut"].attrs["speaker_source"] == "CUE"
    # a run of open paragraphs with no cue at its end gets no speaker from before it
    assert not any(content.startswith(("Our members", "Then they")) for content in by_content)


def test_a_quote_its_sentence_goes_on_from_is_not_carried_over(nlp: Language, compiled: CompiledRuleSet) -> None:
    text = (
        "“We open on Monday,” said Ruth Abel, the owner.\n\n"
        "“Who will pay for the repairs?” one neighbour grinned as he walked past."
    )
    events = _statements(nlp, compiled, text)
    # the second quote's sentence goes on ("one neighbour …"): it is not Ruth Abel's
    assert [(e.roles["speaker"].text, e.roles["content"].text) for e in events] == [("Ruth Abel", "We open on Monday")]


def test_cues_of_manner_beside_a_quote_and_of_clarifying(nlp: Language, compiled: CompiledRuleSet) -> None:
    text = (
        "“Not again,” the caretaker sighed.\n\n"
        "“Who is going to pay for it?” wondered Ines Varga, a resident.\n\n"
        "The council clarified that the tower would stay open."
    )
    events = _statements(nlp, compiled, text)
    assert [(e.roles["speaker"].text, e.roles["cue"].text, e.roles["content"].text) for e in events] == [
        ("the caretaker", "sighed", "Not again"),
        ("Ines Varga", "wondered", "Who is going to pay for it?"),
        ("The council", "clarified", "that the tower would stay open"),
    ]


def test_a_negation_closing_a_quote_does_not_negate_its_cue(nlp: Language, compiled: CompiledRuleSet) -> None:
    text = "“Some of the boats are ready, and some are just not,” said Ruth Abel, the harbour master."
    events = _statements(nlp, compiled, text)
    assert [(e.roles["speaker"].text, e.roles["content"].text) for e in events] == [
        ("Ruth Abel", "Some of the boats are ready, and some are just not")
    ]


WIRE_STORY = (
    "Councillors voted on Monday to sell the old harbour warehouse.\n\n"
    '"We have waited long enough," Mayor Rosa Lindgren said in a speech to the council. '
    '"The building is empty and the town needs the money."\n\n'
    "Her plan would cap what the buyer can charge local fishermen for storage.\n\n"
    'According to Mark Ellis, a surveyor at Dale & Co, the roof is "close to collapse."\n\n'
    '"It would cost more to repair than to rebuild," he said in an interview.\n\n'
    "Harbour staff said the sale had been expected but warned that jobs could go.\n\n"
    '"We will fight it," a union official, Sam Reyes, said in a post on X.\n\n'
    "The council denies that any jobs are at risk."
)


def test_attribution_shapes_of_wire_copy(nlp: Language, compiled: CompiledRuleSet) -> None:
    found = {
        (e.roles["speaker"].text, e.roles["content"].text, e.roles["speaker"].resolved)
        for e in _statements(nlp, compiled, WIRE_STORY)
        if "speaker" in e.roles
    }
    # a quote that ends a paragraph is not the content of a verb in the next one ("charge")
    mayor = ("Mayor Rosa Lindgren", "The building is empty and the town needs the money.", "Mayor Rosa Lindgren")
    assert mayor in found
    assert not any(speaker == "the buyer" for speaker, _, _ in found)
    # the content of "according to X, an analyst at Y, Z" is Z; "he" is the person it names
    assert ("Mark Ellis", 'the roof is "close to collapse."', "Mark Ellis") in found
    assert ("he", "It would cost more to repair than to rebuild", "Mark Ellis") in found
    # "said A but warned B": two statements of the same speaker, the first ending before "but"
    assert ("Harbour staff", "the sale had been expected", "") in found
    assert ("Harbour staff", "that jobs could go", "") in found
    # the parser runs "said in a post on X." on into the next paragraph: its clause is not what was said
    assert ("a union official", "We will fight it", "Sam Reyes") in found


BRITISH_STORY = (
    "A man has died after being stabbed outside a takeaway in the early hours of Sunday.\n\n"
    "Detective Sergeant Amy Cole said: 'This was a shocking and senseless act.\n\n"
    "'I would ask anyone who saw the fight to contact us.'\n\n"
    "A neighbour told the Evening Post: 'We heard shouting and then sirens.'"
)


def _said(nlp: Language, compiled: CompiledRuleSet, text: str) -> set[tuple[str, str, str]]:
    """(speaker, content, kind) of every statement of `text` that has a speaker."""
    return {
        (e.roles["speaker"].text, e.roles["content"].text, e.attrs["kind"])
        for e in _statements(nlp, compiled, text)
        if "speaker" in e.roles
    }


def test_a_british_quotation_over_two_paragraphs(nlp: Language, compiled: CompiledRuleSet) -> None:
    found = _said(nlp, compiled, BRITISH_STORY)
    assert ("Sergeant Amy Cole", "This was a shocking and senseless act.", "DIRECT") in found
    assert ("Sergeant Amy Cole", "I would ask anyone who saw the fight to contact us.", "DIRECT") in found
    assert ("A neighbour", "We heard shouting and then sirens.", "DIRECT") in found


HEADLINED_STORY = (
    "Ferry fares to rise by a fifth\n\n"
    "The island ferry company will raise fares by a fifth in April, the company announced Monday.\n\n"
    '"We are," its chief executive, Nora Blix, said, "sorry to do it."\n\n'
    '"The boats are full of water, maybe all of them," a deckhand, who asked not to be named, told the '
    "Island Courier."
)


def test_headline_interrupted_quote_and_speaker_after_a_quote(nlp: Language, compiled: CompiledRuleSet) -> None:
    found = _said(nlp, compiled, HEADLINED_STORY)
    # the headline above the first paragraph is not part of what the company announced
    assert ("the company", "The island ferry company will raise fares by a fifth in April", "INDIRECT") in found
    # a two-word quote closed by a comma is speech, not a title, and goes on after its cue
    assert ("its chief executive", "We are", "DIRECT") in found
    assert ("its chief executive", "sorry to do it.", "DIRECT") in found
    # the parser hangs the speaker on a word of the quote; the speaker is the phrase after it
    assert any(speaker == "a deckhand" for speaker, _, _ in found), found
    assert not any("all of them" in speaker for speaker, _, _ in found), found


TRANSCRIPT_STORY = (
    "The harbour board will sell two of its three tugboats, its chair said on Tuesday.\n\n"
    '"We cannot keep boats we use twice a year," Ingrid Solberg told reporters.\n\n'
    "A ferry captain, Tomas Berg, said the sale was short-sighted.\n\n"
    "Solberg answered questions for half an hour. Excerpts:\n\n"
    "Q: Who will tow the ferries in winter?\n\n"
    "A: A contractor from the mainland, on a five-year deal.\n\n"
    "Q: Will anyone lose their job?\n\n"
    "A: Nobody. The crews move to the pilot boats.\n\n"
    "The board meets again in March."
)


def test_the_answers_of_a_transcript_take_the_speaker_its_introduction_names(
    nlp: Language, compiled: CompiledRuleSet
) -> None:
    found = _said(nlp, compiled, TRANSCRIPT_STORY)
    assert ("Ingrid Solberg", "A contractor from the mainland, on a five-year deal.", "DIRECT") in found
    assert ("Ingrid Solberg", "Nobody. The crews move to the pilot boats.", "DIRECT") in found
    # the questions are nobody's statement, and the last speaker before the exchange gives no answer
    assert not any(content.startswith("Who will") or (speaker == "Tomas Berg" and "contractor" in content)
                   for speaker, content, _ in found), found  # fmt: skip


INTERVIEW = (
    "Marta Okonjo has run the ferry cafe on Pier 4 since 2011. She spoke to Liam Reyes before the lunch rush.\n"
    "Q: How bad was the winter?\n"
    "A: The worst I remember. Half the boats never sailed.\n"
    "Q: And now?\n"
    "A: Better. The tourists came back in April."
)


def test_an_interview_whose_subject_spoke_nowhere_before_is_hers(nlp: Language, compiled: CompiledRuleSet) -> None:
    # no statement names her before the exchange: the introduction presents her, and the one
    # she spoke to is the interviewer, whose questions are nobody's statement
    found = _said(nlp, compiled, INTERVIEW)
    assert ("Marta Okonjo", "The worst I remember. Half the boats never sailed.", "DIRECT") in found
    assert ("Marta Okonjo", "Better. The tourists came back in April.", "DIRECT") in found
    assert not any(speaker == "Liam Reyes" or content.startswith("How bad") for speaker, content, _ in found), found


def test_an_interview_introduced_by_she_is_the_one_the_paragraph_before_presents(
    nlp: Language, compiled: CompiledRuleSet
) -> None:
    text = (
        "Marta Okonjo’s second album, Low Tide Songs, was recorded in a boathouse on Pier 4.\n"
        "She spoke to Liam Reyes at the harbour before a rehearsal.\n"
        "Q: Why a boathouse?\nA: Because the water does half the mixing for you.\n"
        "Q: And the title?\nA: My grandfather named every tide. I borrowed one."
    )
    found = _said(nlp, compiled, text)
    assert ("Marta Okonjo", "Because the water does half the mixing for you.", "DIRECT") in found
    assert not any(speaker in {"Liam Reyes", "Marta Okonjo’s"} for speaker, _, _ in found), found


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Intro.\nQ: Why?\nA: Because.\nA: Also this.", ["Because.", "Also this."]),
        ("Intro.\n\nQ. Why now?\n\nA. The money ran out.", ["The money ran out."]),
        ("A: no question before this answer.", []),
        ("Q: Why?\nThe mayor left.\nA: Too late.", []),  # narration ends the exchange
        ("Intro.\nQ: Why?\nA: ", []),
    ],
)
def test_transcript_answers(text: str, expected: list[str]) -> None:
    assert [text[a.start : a.end] for a in answers(text)] == expected


def test_every_answer_belongs_to_the_introduction_of_the_first_exchange() -> None:
    # "She went on." continues the first answer: the next question is the same interview
    text = "Solberg took questions.\nQ: Why?\nA: Because.\nShe went on.\nQ: When?\nA: Soon."
    first, second = answers(text)
    assert text[first.intro_start : first.intro_end] == "Solberg took questions."
    assert (second.intro_start, second.intro_end) == (first.intro_start, first.intro_end)


RADIO_TRANSCRIPT = (
    "A ferry line to the outer islands stops for the winter. Fares rise in spring.\n"
    "PRIYA NANDAKUMAR, HOST: The last ferry of the season left Port Ellery this morning. "
    "Our reporter Colm Breslin rode along. Colm, how did it feel on board?\n"
    "COLM BRESLIN, BYLINE: Quiet, Priya. Most of the passengers were islanders heading home for good.\n"
    "NANDAKUMAR: Why is the service stopping?\n"
    "BRESLIN: Fuel, mainly. The operator told me the winter crossings lose money every year.\n"
    "(SOUNDBITE OF SHIP HORN)\n"
    "AGNES TULLOCH: We will manage. We always have, with or without a boat.\n"
    "NANDAKUMAR: Colm Breslin in Port Ellery. Thank you."
)


def test_the_turns_of_a_labelled_transcript_are_statements_of_their_labels(
    nlp: Language, compiled: CompiledRuleSet
) -> None:
    said = _statements(nlp, compiled, RADIO_TRANSCRIPT)
    turns_said = {(e.roles["speaker"].resolved or e.roles["speaker"].text, e.roles["content"].text)
                  for e in said if e.attrs.get("speaker_source") == "LABEL"}  # fmt: skip
    assert ("PRIYA NANDAKUMAR", "Why is the service stopping?") in turns_said
    assert (
        "COLM BRESLIN",
        "Fuel, mainly. The operator told me the winter crossings lose money every year.",
    ) in turns_said
    assert ("AGNES TULLOCH", "We will manage. We always have, with or without a boat.") in turns_said
    assert len(turns_said) == 6, turns_said  # the sound cue and the summary above are nobody's turn
    cues = {e.roles["cue"].text for e in said if e.attrs.get("speaker_source") == "LABEL"}
    assert cues == {":"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            RADIO_TRANSCRIPT,
            ["PRIYA NANDAKUMAR", "COLM BRESLIN", "NANDAKUMAR", "BRESLIN", "AGNES TULLOCH", "NANDAKUMAR"],
        ),
        # no role and no surname: names of several words that label two paragraphs or more
        (
            "MR. OKAFOR: Objection, your honour.\nTHE COURT: Overruled, counsel.\nMR. OKAFOR: Then I withdraw it.\n"
            "THE COURT: Noted for the record.",
            ["MR. OKAFOR", "THE COURT", "MR. OKAFOR", "THE COURT"],
        ),
        # a dateline and live-blog labels are no speakers
        (
            "PUNE: Roads flooded overnight.\nUPDATE: More rain is due.\nUPDATE: Schools are shut.\n"
            "WATCH: A video from the ring road.",
            [],
        ),
        # one-word labels that take turns (a hearing), but not repeated live-blog headings
        (
            "JUDGE: Do you understand the charge?\nOKORO: Yes, I understand it.\nJUDGE: How do you plead?\n"
            "OKORO: Not guilty, your honour.",
            ["JUDGE", "OKORO", "JUDGE", "OKORO"],
        ),
        (
            "UPDATE: More rain is due tonight.\nUPDATE: Schools are shut.\nWATCH: A video from the ring road.\n"
            "WATCH: The mayor speaks.",
            [],
        ),
        # a box score's notes by team take turns too, but nobody speaks in them
        (
            "Kings: Pryor has scored 30 or more in four straight games.\nHawks: Lane had eight points.\n"
            "Kings: Host Denver on Sunday.\nHawks: At Portland on Monday night.",
            [],
        ),
        # ... also when the story names the teams in full
        (
            "The Fresno Kings beat the Boise Hawks 101-96.\nKings: Pryor has scored 30 or more in four straight games.\n"
            "Hawks: Lane had eight points.\nKings: Host Denver on Sunday.\nHawks: At Portland on Monday night.",
            [],
        ),
        # two turns are not yet a transcript
        ("ANA RUIZ, HOST: Welcome back.\nRUIZ: Let us begin.", []),
        # a printed interview: labels in the names' own case, a full name once and then the surname
        (
            "Our reporter spoke to Ines Varga.\nRadio Kiel: Why now?\nInes Varga: Because the pier is failing.\n"
            "Radio Kiel: Who pays?\nVarga: The port, mostly.\nVarga: And the town a little.",
            ["Ines Varga", "Varga", "Varga"],
        ),
        # a podcast printed with full names each time: the names are used in the turns too
        (
            "Show notes: Ana Ruiz talks to Tom Berg.\nAna Ruiz: Welcome, I'm Ana Ruiz.\nTom Berg: Thanks for having me.\n"
            "Ana Ruiz: Why nights?\nTom Berg: Because the wards are quiet.",
            ["Ana Ruiz", "Tom Berg", "Ana Ruiz", "Tom Berg"],
        ),
        # repeated headings in the names' own case are no speakers
        ("Read More: a guide.\nRead More: the map.\nRead More: the timeline.\nWatch Live: the debate.", []),
        # one-word labels the story names in full ("This is Oona MacBride"), a "Mc" prefix in the
        # capitals, and a guest named in full who speaks once between the others' turns
        (
            "This is Oona MacBride; my guest today is Lars Petrie of the pier trust.\nMacBRIDE: Lars, is the pier safe?\n"
            "PETRIE: Not for much longer, I'm afraid.\nMacBRIDE: Who decides?\nPETRIE: The council, in March.\n"
            "MacBRIDE: We asked Gus Halloran of the council too.\nHALLORAN: We will decide when the survey is in.\n"
            "MacBRIDE: Lars, a last word?\nPETRIE: Come and walk on it while you can.",
            ["MacBRIDE", "PETRIE", "MacBRIDE", "PETRIE", "MacBRIDE", "HALLORAN", "MacBRIDE", "PETRIE"],
        ),
    ],
)
def test_transcript_turns(text: str, expected: list[str]) -> None:
    assert [text[t.name_start : t.name_end] for t in turns(text)] == expected


def test_a_one_word_label_takes_the_full_name_the_story_gives() -> None:
    text = (
        "This is Oona MacBride; my guest today is Lars Petrie of the pier trust.\nMacBRIDE: Lars, is the pier safe?\n"
        "PETRIE: Not for much longer, I'm afraid.\nMacBRIDE: Who decides?\nPETRIE: The council, in March."
    )
    assert [t.full_name for t in turns(text)] == ["Oona MacBride", "Lars Petrie", "Oona MacBride", "Lars Petrie"]
