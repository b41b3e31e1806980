"""Statements across sentences and paragraphs, with the shipped pack and the real model.

Quotes that carry no cue of their own take the speaker of the nearest preceding attributed
statement in the same or the previous paragraph (`speaker_source` CARRIED_OVER); a quote with no
such statement gets no speaker; a cue's content never runs through the cue clause.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml
from spacy.language import Language

from service.api.convert import to_response
from service.engine.compiled import CompiledRuleSet
from service.engine.extractor import extract
from service.events.model import Event
from service.events.quotes import inner, is_title, quote_spans
from service.proto.sitrep.v1 import extraction_pb2 as pb

RULES = Path(__file__).resolve().parent.parent / "rules"


def _statements(nlp: Language, compiled: CompiledRuleSet, text: str) -> list[Event]:
    events = extract(nlp, compiled, [text]).docs[0].events
    return [e for e in events if e.type == "statement"]


def _speaker(event: Event) -> str:
    speaker = event.roles["speaker"]
    return speaker.resolved or speaker.text


def _content(event: Event) -> str:
    return event.roles["content"].text


def _speakers_with_names(nlp: Language, compiled: CompiledRuleSet, text: str) -> list[tuple[str, str]]:
    """(speaker as written, the name it resolves to) of every statement of `text`."""
    return [(e.roles["speaker"].text, e.roles["speaker"].resolved) for e in _statements(nlp, compiled, text)]


def test_a_quote_paragraph_continues_the_speaker_before_it(nlp: Language, compiled: CompiledRuleSet) -> None:
    text = (
        "The ferry to Varholm was cancelled again on Friday.\n\n"
        "“We have waited three weeks for a new engine,” harbour master Petra Lund said.\n\n"
        "“The islanders are running out of patience, and so am I.”\n\n"
        "The operator did not answer calls."
    )
    statements = _statements(nlp, compiled, text)
    assert [(_speaker(e), e.attrs["speaker_source"]) for e in statements] == [
        ("Petra Lund", "CUE"),
        ("Petra Lund", "CARRIED_OVER"),
    ]
    assert _content(statements[1]) == "The islanders are running out of patience, and so am I."
    assert statements[1].attrs["kind"] == "DIRECT"
    assert statements[1].roles["speaker"].start == statements[0].roles["speaker"].start
    reply = to_response("d1", text, statements, pb.OFFSET_ENCODING_UTF16, "v")
    sources = [e.statement.speaker_source for e in reply.events]
    assert sources == [pb.SPEAKER_SOURCE_CUE, pb.SPEAKER_SOURCE_CARRIED_OVER]
    content = reply.events[1].statement.content.span
    utf16 = text.encode("utf-16-le")
    assert utf16[2 * content.start : 2 * content.end].decode("utf-16-le") == _content(statements[1])


def test_a_quote_without_any_earlier_speaker_gets_none(nlp: Language, compiled: CompiledRuleSet) -> None:
    text = (
        "“Nobody reads the small print any more.”\n\n"
        "That line opens the new handbook for tenants in the town of Eskby.\n\n"
        "“Every lease will be checked twice.”"
    )
    assert _statements(nlp, compiled, text) == []


def test_a_quote_two_paragraphs_after_the_speaker_is_not_carried(nlp: Language, compiled: CompiledRuleSet) -> None:
    text = (
        "“The dam will hold,” engineer Tomas Berg said.\n\n"
        "Water rose all night along the valley.\n\n"
        "By morning the school in Lysa was closed.\n\n"
        "“Stay off the river road until further notice.”"
    )
    statements = _statements(nlp, compiled, text)
    assert [(_speaker(e), e.attrs["speaker_source"]) for e in statements] == [("Tomas Berg", "CUE")]


def test_a_new_speaker_takes_over(nlp: Language, compiled: CompiledRuleSet) -> None:
    text = (
        "“The budget is balanced,” finance chief Ada Moss said.\n\n"
        "“We cut nothing that matters.”\n\n"
        "“That is simply not true,” opposition leader Rolf Eide replied.\n\n"
        "“Three clinics closed this year.”"
    )
    statements = _statements(nlp, compiled, text)
    assert [(_speaker(e), e.attrs["speaker_source"]) for e in statements] == [
        ("Ada Moss", "CUE"),
        ("Ada Moss", "CARRIED_OVER"),
        ("Rolf Eide", "CUE"),
        ("Rolf Eide", "CARRIED_OVER"),
    ]
    assert _content(statements[3]) == "Three clinics closed this year."


def test_quote_content_never_runs_through_the_cue(nlp: Language, compiled: CompiledRuleSet) -> None:
    text = (
        "“The tunnel is safe,” the inspector said. “We checked every bolt.”\n\n"
        "“Trains will run again,” she added, “as soon as the signals are fixed.”"
    )
    statements = _statements(nlp, compiled, text)
    contents = [_content(e) for e in statements]
    assert contents == [
        "The tunnel is safe",
        "We checked every bolt.",
        "Trains will run again",
        "as soon as the signals are fixed.",
    ]
    assert not any(cue in content for content in contents for cue in ("said", "added"))
    assert [e.attrs["speaker_source"] for e in statements] == ["CUE", "CARRIED_OVER", "PRONOUN", "CARRIED_OVER"]
    assert _speaker(statements[1]) == "the inspector"
    assert statements[3].roles["speaker"] == statements[2].roles["speaker"]


def test_every_statement_says_how_its_speaker_was_found(nlp: Language, compiled: CompiledRuleSet) -> None:
    text = (
        "Governor Elin Dahl says the border crossing will reopen in May. "
        "She added that customs staff had been hired. "
        "The plan, according to the ministry, costs too much."
    )
    statements = _statements(nlp, compiled, text)
    assert [(_speaker(e), e.attrs["speaker_source"]) for e in statements] == [
        ("Elin Dahl", "CUE"),
        ("Elin Dahl", "PRONOUN"),
        ("the ministry", "CUE"),
    ]


def test_a_colon_cue_takes_the_quote_in_the_next_paragraph(nlp: Language, compiled: CompiledRuleSet) -> None:
    text = "Senator Ray Holm said:\n\n“We will not give up. Not now.”\n\nThe room was silent."
    (statement,) = _statements(nlp, compiled, text)
    assert (_speaker(statement), _content(statement)) == ("Ray Holm", "We will not give up. Not now.")
    assert statement.attrs == {"kind": "DIRECT", "speaker_source": "CUE"}


def test_a_partial_quote_stays_inside_reported_speech(nlp: Language, compiled: CompiledRuleSet) -> None:
    text = "Economist Lea Varga said the tax cut was “a fantasy” and would never pass.\n\nVoters agreed."
    (statement,) = _statements(nlp, compiled, text)
    assert _content(statement) == "the tax cut was “a fantasy” and would never pass"
    assert statement.attrs == {"kind": "MIXED", "speaker_source": "CUE"}


def test_a_quote_right_after_the_cue_is_partial_when_the_clause_runs_on(
    nlp: Language, compiled: CompiledRuleSet
) -> None:
    text = "Coach Lars Dahl said “the squad stays together” until the end of the season.\n\nFans cheered."
    (statement,) = _statements(nlp, compiled, text)
    assert _content(statement).startswith("the squad stays together") and _content(statement).endswith("the season")
    assert statement.attrs == {"kind": "MIXED", "speaker_source": "CUE"}
    text = "Coach Lars Dahl said, “The squad stays together,” and walked off.\n\nFans cheered."
    (statement,) = _statements(nlp, compiled, text)
    assert _content(statement) == "The squad stays together"
    assert statement.attrs == {"kind": "DIRECT", "speaker_source": "CUE"}


def test_reported_speech_runs_on_to_the_end_of_the_quote_it_opens(nlp: Language, compiled: CompiledRuleSet) -> None:
    text = "Mayor Ines Berg said the plan was “a mistake. It will cost the town its ferry.”\n\nVoters agreed."
    (statement,) = _statements(nlp, compiled, text)
    assert _content(statement) == "the plan was “a mistake. It will cost the town its ferry.”"
    assert statement.attrs == {"kind": "MIXED", "speaker_source": "CUE"}


def test_a_quoted_title_is_not_speech(nlp: Language, compiled: CompiledRuleSet) -> None:
    text = "The mayor unveiled a new plan, “Green Streets,” on Monday.\n\nShe wrote “The Long Road” in prison."
    assert _statements(nlp, compiled, text) == []
    # announcing the plan is speech (statement.object), its quoted name still no direct quote
    (announced,) = _statements(nlp, compiled, text.replace("unveiled", "announced"))
    assert announced.attrs["kind"] != "DIRECT" and _content(announced).startswith("a new plan")
    (quote,) = quote_spans("“Four more years”")
    assert not is_title("“Four more years”", quote)


def test_a_colon_after_the_cue_takes_the_quote_that_follows(nlp: Language, compiled: CompiledRuleSet) -> None:
    text = "“The ferry is late again.” Harbour master Ola Berg said: “We have no spare crew this winter.”"
    contents = sorted(_content(s) for s in _statements(nlp, compiled, text) if s.attrs["speaker_source"] == "CUE")
    assert contents == ["We have no spare crew this winter."]


def test_two_cues_of_one_speaker_give_two_statements(nlp: Language, compiled: CompiledRuleSet) -> None:
    """Overlapping statements of two cue words whose contents lie apart are not rivals."""
    text = "“The ferry will run again on Monday,” the harbour master said, adding that tolls would stay the same."
    found = {(_speaker(e), _content(e)) for e in _statements(nlp, compiled, text)}
    assert ("the harbour master", "The ferry will run again on Monday") in found
    assert ("the harbour master", "that tolls would stay the same") in found


def test_a_reported_clause_the_parser_splits_stays_whole(nlp: Language, compiled: CompiledRuleSet) -> None:
    # the parser hangs an appositive or a participle's clause on the cue as a second ccomp: the
    # content still opens with the clause the cue introduces
    texts = {
        "The mayor said on Monday that the bridge would not reopen this year — a delay she has blamed"
        " on the contractor.": "that the bridge would not reopen this year",
        "Engineer Paula Stein said the dam was safe, telling residents that “the water will stay where"
        " it is” and that the pumps had been checked.": "the dam was safe",
    }
    for text, opening in texts.items():
        said = [e for e in _statements(nlp, compiled, text) if e.roles["cue"].text == "said"]
        assert len(said) == 1 and _content(said[0]).startswith(opening), text


def test_a_clause_past_an_inverted_speaker_is_not_the_cues_content(nlp: Language) -> None:
    # "“…,” said X, who …" where the parser hangs the relative clause's verb on the cue: the quote
    # before the cue stays the content; "According to X, B" and "said X that B" keep B
    from service.engine.builders import _past_inverted_speaker

    doc = nlp.make_doc("“Busy,” said Ola Berg, who remembered the boats.")
    tags = ["PUNCT", "ADJ", "PUNCT", "PUNCT", "VERB", "PROPN", "PROPN", "PUNCT", "PRON", "VERB", "DET", "NOUN", "PUNCT"]
    for tok, pos in zip(doc, tags, strict=True):
        tok.pos_ = pos
    assert _past_inverted_speaker(doc, 4, {"speaker": (5, 7), "content": (8, 12)})
    assert not _past_inverted_speaker(doc, 4, {"speaker": (5, 7), "content": (0, 3)})
    according = nlp.make_doc("According to Berg, the boats left.")
    according[0].pos_ = "VERB"
    assert not _past_inverted_speaker(according, 0, {"speaker": (2, 3), "content": (4, 7)})


def test_a_clause_coordinated_with_the_cue_runs_on_the_content(nlp: Language, compiled: CompiledRuleSet) -> None:
    # the parser coordinates the second half of the reported clause with the cue ("said A, but
    # B"); a second report ("…, and B said C") stays its own statement
    text = "The coach said he had received offers for the goalkeeper, but the offers were too low."
    (said,) = _statements(nlp, compiled, text)
    assert _content(said) == "he had received offers for the goalkeeper, but the offers were too low"
    text = "The mayor said the bridge was safe, and the engineer said it was not."
    assert sorted(_content(e) for e in _statements(nlp, compiled, text)) == ["it was not", "the bridge was safe"]


def test_doubled_apostrophes_are_quotation_marks() -> None:
    text = "''We will not sell the farm,'' Mr. Kask said. He left."
    (quote,) = quote_spans(text)
    start, end = inner(text, quote)
    assert text[start:end] == "We will not sell the farm"


def test_the_cue_lexicons_have_the_breadth_of_wordnet() -> None:
    """The generated cue lexicons hold the cues news uses beyond say/tell (and many more)."""
    lexicons = yaml.safe_load((RULES / "statements.yaml").read_text(encoding="utf-8"))["lexicons"]
    clausal, quoting = set(lexicons["speech_cue_verbs"]), set(lexicons["quote_cue_verbs"])
    expected = {"add", "note", "explain", "write", "report", "admit", "warn", "urge", "confirm", "announce",
                "deny", "insist", "argue", "describe", "say", "tell", "claim", "tweet"}  # fmt: skip
    assert expected <= clausal
    assert {"joke", "quip", "shout", "whisper"} <= quoting and clausal <= quoting
    assert len(clausal) > 100
    assert not {"think", "believe", "hold", "make", "show", "order"} & quoting
    assert {"statement", "claim", "warning", "denial"} <= set(lexicons["speech_cue_nouns"])


def _generator() -> ModuleType:
    path = Path(__file__).resolve().parent.parent / "scripts" / "gen_speech_lexicon.py"
    spec = importlib.util.spec_from_file_location("gen_speech_lexicon", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses resolve their annotations through it
    spec.loader.exec_module(module)
    return module


def test_the_lexicon_generator_applies_its_criteria(tmp_path: Path) -> None:
    """A miniature WordNet: a clause-taking communication verb, a manner-of-speaking hyponym, a
    verb whose communication sense is rare, a cognition verb and a derived noun."""
    (tmp_path / "data.verb").write_text(
        "  1 licence header line\n"
        '00000001 32 v 01 say 0 001 + 00000100 n 0101 01 + 26 00 | express in words; "she said that it rained"\n'
        "00000002 32 v 01 bellow 0 001 @ 00000001 v 0000 01 + 02 00 | say loudly\n"
        "00000003 32 v 01 hold 0 000 01 + 26 00 | declare\n"
        "00000004 35 v 01 hold 0 000 01 + 08 00 | grasp\n"
        "00000005 31 v 01 think 0 000 01 + 26 00 | judge\n",
        encoding="utf-8",
    )
    (tmp_path / "data.noun").write_text("00000100 10 n 01 saying 0 000 | a statement\n", encoding="utf-8")
    (tmp_path / "cntlist.rev").write_text(
        "say%2:32:00:: 1 100\nhold%2:35:00:: 1 50\nhold%2:34:00:: 2 9\nhold%2:32:00:: 3 1\n", encoding="utf-8"
    )
    generator = _generator()
    lexicons = generator.cue_lexicons(tmp_path)
    added = set(generator.ADDED)
    assert set(lexicons["speech_cue_verbs"]) - added == {"say"}
    assert set(lexicons["quote_cue_verbs"]) - added == {"say", "bellow"}
    assert lexicons["speech_cue_nouns"] == ["saying"]


def test_speech_reported_inside_speech_is_two_statements(nlp: Language, compiled: CompiledRuleSet) -> None:
    text = "The harbour master said that the ferry operator insisted the new engine would arrive in May."
    statements = _statements(nlp, compiled, text)
    assert sorted((_speaker(e), _content(e)) for e in statements) == [
        ("The harbour master", "that the ferry operator insisted the new engine would arrive in May"),
        ("the ferry operator", "the new engine would arrive in May"),
    ]


def test_what_was_said_may_open_with_a_negative_pronoun(nlp: Language, compiled: CompiledRuleSet) -> None:
    statements = _statements(nlp, compiled, "The harbour master said nobody was on board when the fire started.")
    assert [(_speaker(e), _content(e)) for e in statements] == [
        ("The harbour master", "nobody was on board when the fire started")
    ]


def test_wire_shapes_the_parser_breaks_or_hides(nlp: Language, compiled: CompiledRuleSet) -> None:
    """A speaker the parser hangs on the opening phrase, a yes-no question parsed as an adverbial
    clause, 'quoted as saying', a copula before a participle cue and a parenthetical cue with its
    addressee, one article: each is one statement with its own speaker."""
    text = (
        "Angered by the delays in Oslo, Governor Kari Vik, the committee chair, said that the "
        "contractor would be fined.\n\n"
        "Asked if the new stadium would be finished on time, the architect laughed. The ferry "
        "company was quoted by a local paper as saying the crossings would resume in May.\n\n"
        "The mayor was also critical of the plan, telling the Gazette: “The council has lost its "
        "mind.” The real problem, Holt told the Gazette, is the lack of nurses."
    )
    statements = _statements(nlp, compiled, text)
    found = [(e.roles["speaker"].text if "speaker" in e.roles else None, _content(e)) for e in statements]
    assert found == [
        ("the committee chair", "that the contractor would be fined"),
        (None, "if the new stadium would be finished on time"),
        ("The ferry company", "the crossings would resume in May"),
        ("The mayor", "The council has lost its mind."),
        ("Holt", "is the lack of nurses"),
    ]


def test_a_speaker_with_a_name_in_apposition_resolves_to_the_name(nlp: Language, compiled: CompiledRuleSet) -> None:
    text = (
        "The trial ended on Friday. The defendant's lawyer, Tomas Brennan, said his client would appeal. "
        "Her sister, Alice Ward, said the family was relieved."
    )
    speakers = [_speaker(e) for e in _statements(nlp, compiled, text)]
    assert speakers == ["Tomas Brennan", "Alice Ward"]


def test_they_takes_the_people_who_spoke_last(nlp: Language, compiled: CompiledRuleSet) -> None:
    text = (
        "Northfield Police named the victim on Monday. The teenager's family described him as kind and funny. "
        "In a statement, they said: “We will never get over this.”"
    )
    quoted = [e for e in _statements(nlp, compiled, text) if e.roles["content"].text.startswith("We will never")]
    assert [_speaker(e) for e in quoted] == ["The teenager's family"]


def test_a_clause_before_a_semicolon_is_not_the_next_cues_content(nlp: Language, compiled: CompiledRuleSet) -> None:
    text = "Some commuters said the new timetable suited them; others complained that the first train left too late."
    statements = _statements(nlp, compiled, text)
    assert sorted((_speaker(e), _content(e)) for e in statements) == [
        ("Some commuters", "the new timetable suited them"),
        ("others", "that the first train left too late"),
    ]


def test_a_relative_clause_the_parser_hung_elsewhere_keeps_its_speaker(
    nlp: Language, compiled: CompiledRuleSet
) -> None:
    # the parser makes "said" a conjunct of "is" (or the root) with subject "who": the speaker
    # is the noun before the comma, and the clause before "according to" is not what X said
    text = (
        "The reservoir is nearly empty, according to the engineers there, who said the pumps had failed.\n\n"
        "The ferry has stopped running, according to boatmen here, who said the river was too low."
    )
    statements = [e for e in _statements(nlp, compiled, text) if e.roles["cue"].text == "said"]
    assert [(_speaker(e), _content(e)) for e in statements] == [
        ("the engineers", "the pumps had failed"),
        ("boatmen", "the river was too low"),
    ]


def test_she_takes_the_person_not_a_place_the_model_tags_as_one(nlp: Language, compiled: CompiledRuleSet) -> None:
    text = (
        "On a wet morning, Hannah Okafor walks the ridge above Glen Corran with a notebook.\n\n"
        "“Nobody maps these paths any more,” she says."
    )
    (statement,) = _statements(nlp, compiled, text)
    assert _speaker(statement) == "Hannah Okafor"


@pytest.mark.parametrize(
    ("text", "name"),
    [
        # a rank the model reads as a given name cuts the name short ("Garda Niamh" + "Treacy")
        (
            "Detective Garda Niamh Treacy told the court the cards had been cloned. She said the accused had admitted it.",
            "Niamh Treacy",
        ),
        # places between which something lies are no one ("between Tain and Dornoch")
        (
            "Forecaster Mairead Quinn said the storm would turn north overnight. Crews were sent to the coast "
            "between Tain and Dornoch. “That is the first good news today,” she added.",
            "Mairead Quinn",
        ),
    ],
)
def test_she_takes_the_whole_name_of_the_person_who_spoke(
    nlp: Language, compiled: CompiledRuleSet, text: str, name: str
) -> None:
    pronoun = next(e for e in _statements(nlp, compiled, text) if e.roles["speaker"].text.lower() == "she")
    assert _speaker(pronoun).endswith(name)


@pytest.mark.parametrize(
    ("text", "cue", "name"),
    [
        # a name the model leaves untagged, in apposition to a person noun
        ("Her trainer, Pablo Lasa, said the squad would rest until March.", "said", "Pablo Lasa"),
        # the description that spoke last, not a person named before it
        ("Mayor Ingrid Haldane said the depot would close.\nSefton Marr, a ratepayer, shouted from the "
         "gallery.\nWhen the meeting ended, the mayor conceded the vote had been close. “We will think again,” she said.",
         "said", "Ingrid Haldane"),
    ],
)  # fmt: skip
def test_a_description_resolves_to_whom_the_story_just_named(
    nlp: Language, compiled: CompiledRuleSet, text: str, cue: str, name: str
) -> None:
    last = [e for e in _statements(nlp, compiled, text) if e.roles["cue"].text == cue][-1]
    assert _speaker(last) == name


def test_the_ministry_resolves_to_the_organisation_whose_name_holds_it(
    nlp: Language, compiled: CompiledRuleSet
) -> None:
    text = (
        "Siemens said on Monday that hackers had stolen data. The Health Ministry opened an inquiry, "
        "and the ministry said it would report in May.\n\nThe company said it had notified regulators."
    )
    speakers = _speakers_with_names(nlp, compiled, text)
    assert ("the ministry", "The Health Ministry") in speakers
    assert ("The company", "Siemens") in speakers  # the organisation that last acted, not the ministry


def test_the_title_of_a_named_person_resolves_to_that_person(nlp: Language, compiled: CompiledRuleSet) -> None:
    text = "Inspector Manoj Tyagi said two men had been arrested. The inspector added that a third was sought."
    speakers = _speakers_with_names(nlp, compiled, text)
    assert ("The inspector", "Manoj Tyagi") in speakers


@pytest.mark.parametrize(
    ("text", "speaker", "name"),
    [
        # a description whose every word an earlier title held
        ("Chief Minister Kavita Rao said the dam was safe. Later the chief minister said repairs would start.",
         "the chief minister", "Kavita Rao"),
        # a title several words before a name the model tagged short
        ("Federal Minister for Water Sardar Imran Baloch said the canal would open. Baloch toured the site. "
         "The minister said the work was late.", "The minister", "Baloch"),
        # the parser makes a long title's first word the subject
        ("Minister for Sustainability and the Environment Grace Lim said the levy would start in April.",
         "Minister", "Grace Lim"),
        ("Federation of Merchants' Associations president Jimmy Ong told reporters that prices would rise.",
         "Federation of Merchants' Associations", "Jimmy Ong"),
        # a time between the long title's name and the verb
        ("Minister for Sustainability and the Environment Grace Lim on Monday said the levy would start in April.",
         "Minister", "Grace Lim"),
        ("The port will reopen next week, said Federation of Shipping Agents president Jimmy Ong.",
         "Federation of Shipping Agents", "Jimmy Ong"),
        # initials of a title, whatever its case
        ("Rajasthan Chief minister Ramesh Saini on Monday announced free bus rides. "
         "The CM said the scheme would start in April.", "CM", "Ramesh Saini"),
        # the definite description takes up the indefinite one, past definite re-mentions
        ("A senior official told reporters the border would reopen. The official declined to say when.\n"
         "The official said trucks were waiting.", "The official", "A senior official"),
        ("People familiar with the matter said the deal could close soon. The people said the board had approved it.",
         "The people", "People familiar with the matter"),
        # a title the model tags ORG takes the person beside it
        ("As tempers rose, the Ceann Comhairle, Seán Ó Murchú, called on Deputies to let the minister finish.",
         "the Ceann Comhairle", "Seán Ó Murchú"),
        # "the company": the organisation that last acted, not one spoken to
        ("Acme Corp's chief executive told Reuters that sales fell. The company said it would cut jobs.",
         "The company", "Acme Corp"),
        # an age with more description after it
        ("Tomas Reyes, 44, lost his boat in the storm. “We start again,” the 44-year-old veteran fisherman said.",
         "the 44-year-old veteran fisherman", "Tomas Reyes"),
        # a story that names no one: he/she take the person a definite description made a subject
        ("The captain thanked the travelling fans on Sunday. He said the draw felt like a win.",
         "He", "The captain"),
        ("The head teacher wrote to parents on Monday. She said lessons would resume on Thursday.",
         "She", "The head teacher"),
        # places joined before one organisation word name one body
        ("Avon and Somerset Constabulary said two men had been charged.",
         "Avon and Somerset Constabulary", "Avon and Somerset Constabulary"),
        # a figure the model takes for a name is no antecedent of "he"
        ("Tariq Anwar Khan, the power minister, spoke on Monday. The debt was cut by Rs320bn. "
         "He said the tariff would not rise.", "He", "Tariq Anwar Khan"),
        # a name's first word: a family name written first, a given name
        ("Vice Health Minister Park Min-soo said the plan would be reviewed. “We cannot wait,” Park said.",
         "Park", "Park Min-soo"),
        ("Faisal Qureshi, a shopkeeper, watched the flames. “Nothing is left,” Faisal said.", "Faisal", "Faisal Qureshi"),
        # a document speaks for its author, itself resolved
        ("A statement issued by the Port Authority said the berth would reopen.", "A statement", "the Port Authority"),
        ("Nordlys Air grounded its fleet. A statement from the airline said checks were under way.",
         "A statement from the airline", "Nordlys Air"),
        ("“The road stays shut,” read a notice from the county council.", "a notice", "the county council"),
        # a definite document takes up the earlier one that named its author
        ("The ministry said in a statement that the border would reopen. The statement added that trucks would wait.",
         "The statement", "The ministry"),
        ("Brightfield raised $40 million, according to the company's press release. The release said hiring would start.",
         "The release", "Brightfield"),
        ("A letter signed by 60 residents said the quarry was too noisy.", "A letter", "60 residents"),
        # the office a title named, abbreviated or with its portfolio, whoever else was named
        ("Coun. Morag Hendry said the bylaw was rushed. “Residents were told nothing,” the councillor said.",
         "the councillor", "Morag Hendry"),
        ("Teodor Lind explained the figures. Minister of Energy Paul Brenner, who toured the plant, "
         "stressed the cost. “We will pay it,” the minister said.", "the minister", "Paul Brenner"),
        # a thing that "would add" something is no unnamed speaker a pronoun could take up
        ("Rail minister Anton Brell replied that a new training programme would add 140 drivers. "
         "“I will take no lectures,” he told the House.", "he", "Anton Brell"),
    ],
)  # fmt: skip
def test_a_description_resolves_to_the_name_the_story_gave(
    nlp: Language, compiled: CompiledRuleSet, text: str, speaker: str, name: str
) -> None:
    assert (speaker, name) in _speakers_with_names(nlp, compiled, text)


@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        ("Chief Minister Kavita Rao said the dam was safe. The prime minister said talks would resume.",
         "The prime minister"),  # a word no earlier title held
        ("The wife of John Smith said the house was empty.", "The wife of John Smith"),  # her statement
        ("A senior official told reporters the border would reopen. The driver said the queue was long.",
         "The driver"),  # no driver was described before
        ("The UN said it was concerned about the tender.", "UN"),  # initials of no title
        ("Her statement said she had seen nothing.", "Her statement"),  # a pronoun with no antecedent
        ("Gareth Evans and Gareth Bale spoke. “It was tough,” Gareth said.", "Gareth"),  # two names begin with it
    ],
)  # fmt: skip
def test_a_description_takes_no_name_the_story_did_not_give(
    nlp: Language, compiled: CompiledRuleSet, text: str, speaker: str
) -> None:
    names = dict(_speakers_with_names(nlp, compiled, text))
    assert speaker in names
    assert names[speaker] in {"", speaker}


def test_a_split_quotation_is_reported_by_its_first_part(nlp: Language, compiled: CompiledRuleSet) -> None:
    text = '"The rally is pricing the wrong year," Kessler added, "and by spring the numbers will tell."'
    said = {(_speaker(e), _content(e)) for e in _statements(nlp, compiled, text)}
    assert ("Kessler", "The rally is pricing the wrong year") in said
    assert all(not content.startswith("by spring") for _, content in said)


def test_a_counted_speaker_takes_the_name_in_apposition(nlp: Language, compiled: CompiledRuleSet) -> None:
    text = "One of the drivers, Tomasz Wrona, said the depot had been closed since dawn."
    assert ("One of the drivers", "Tomasz Wrona") in _speakers_with_names(nlp, compiled, text)


def test_a_surname_the_parser_takes_for_an_adverb_is_the_speaker(nlp: Language, compiled: CompiledRuleSet) -> None:
    # "Keely" and "Connolly" are parsed as adverbs: the cue has no subject of its own
    text = "Coach Anton Keely praised his bench.\n“We played hard for four quarters,” Keely said."
    assert ("Keely", "Anton Keely") in _speakers_with_names(nlp, compiled, text)
    text = "“We will appeal the ruling,” Connolly said."
    assert [speaker for speaker, _ in _speakers_with_names(nlp, compiled, text)] == ["Connolly"]


def test_a_finding_is_the_statement_of_who_found_it(nlp: Language, compiled: CompiledRuleSet) -> None:
    said = {
        (_speaker(e), _content(e))
        for e in _statements(nlp, compiled, "The tribunal ruled that the dismissal was unfair.")
    }
    assert said == {("The tribunal", "that the dismissal was unfair")}
    assert not _statements(nlp, compiled, "The jury found the driver guilty of careless driving.")


def test_a_narrated_pronoun_skips_people_named_inside_quotes(nlp: Language, compiled: CompiledRuleSet) -> None:
    text = (
        "Anna Kowalski has played the harp since she was six.\n"
        "“My teacher, Tomasz Wrona, made me practise scales for a year,” she says."
    )
    assert ("she", "Anna Kowalski") in _speakers_with_names(nlp, compiled, text)


def test_a_pronoun_speaker_prefers_the_subject_before_it(nlp: Language, compiled: CompiledRuleSet) -> None:
    # Maria Lopez is nearer but only the object of a preposition: the subject is the one spoken of
    text = "Anna Kowalski learned the recipe from Maria Lopez in Warsaw.\n“It takes all day, and nobody hurries it,” she says."
    assert ("she", "Anna Kowalski") in _speakers_with_names(nlp, compiled, text)


def test_a_surname_the_model_left_untagged_is_still_the_person(nlp: Language, compiled: CompiledRuleSet) -> None:
    # the model tags "Attendance" a person and the second "Khoza" a place: the surname of a full
    # name given before is that person, and the nearer subject
    text = (
        "The harbour board met on Monday to discuss the new ferry timetable proposed by councillor "
        "Bongani Khoza. Attendance was thin.\n"
        "Khoza told the board that the winter sailings would be cut by a third.\n"
        '"We cannot run empty boats all winter," he said.'
    )
    assert ("he", "Bongani Khoza") in _speakers_with_names(nlp, compiled, text)


def test_a_pronoun_after_a_quotation_of_several_sentences_looks_before_it(
    nlp: Language, compiled: CompiledRuleSet
) -> None:
    # the quotation's own sentences do not push the writer out of reach: the person named inside
    # what he wrote is not the one who posted
    text = (
        "Late on Sunday, the chef Jaxon Whitfield wrote that the inspectors had never once asked to "
        "meet Dana Arnesen before closing the kitchen.\n"
        "\u201cNobody phoned us first. Nobody ever does,\u201d he posted."
    )
    assert ("he", "Jaxon Whitfield") in _speakers_with_names(nlp, compiled, text)


@pytest.mark.parametrize(
    ("text", "pair"),
    [
        pytest.param(
            "At the gala, Senator Tom Hadley posed for photographs with Governor Frank Oduya and his "
            "wife, Grace Oduya.\nMr. Hadley said in an interview that the governor was warm. But Mrs. "
            'Oduya, who was busy with another guest, barely looked up. "She gave me a very cold nod," he said.',
            ("he", "Tom Hadley"),
            id="Mrs. makes that mention female, whatever the first mention of the surname said",
        ),
        pytest.param(
            "Lumora, which sells payroll software to small firms, blamed a faulty update for the outage on Monday.\n"
            "In a note to customers, the company said the update had been rolled back within the hour.",
            ("the company", "Lumora"),
            id="a coined firm name the model tags PERSON, no given name and no surname, is the company",
        ),
        pytest.param(
            "Edna Moyo runs the night shift at the Kasama, the only clinic in the district. Reporters "
            "found her outside the Kasama on Friday.\n\u201cWe have had no water since Tuesday,\u201d she said.",
            ("she", "Edna Moyo"),
            id="a name the model misses heading a sentence is a person, a name written with the is a thing",
        ),
        pytest.param(
            "Chair Maren Holt opened the annual meeting in the town hall.\n"
            "\u201cIt has been a difficult year for every sawmill in the valley,\u201d she said.",
            ("she", "Maren Holt"),
            id="a title the model takes into one organisation leaves the person",
        ),
        pytest.param(
            "HAMMERFEST, Norway \u2014 Marisol Peralta spent eleven winters counting seabirds on the "
            "cliffs north of town.\n\u201cThe puffins come back later every year,\u201d she says.",
            ("she", "Marisol Peralta"),
            id="the untagged name after the capitals of a dateline is a person",
        ),
    ],
)
def test_a_pronoun_takes_the_person_the_model_misread(
    nlp: Language, compiled: CompiledRuleSet, text: str, pair: tuple[str, str]
) -> None:
    assert pair in _speakers_with_names(nlp, compiled, text)


def _said_by(nlp: Language, compiled: CompiledRuleSet, text: str) -> list[tuple[str, str]]:
    """(speaker as written, content) of every statement of `text`."""
    return [(e.roles["speaker"].text, _content(e)) for e in _statements(nlp, compiled, text) if "speaker" in e.roles]


def test_an_abbreviated_title_keeps_the_statement_of_the_name_after_it(
    nlp: Language, compiled: CompiledRuleSet
) -> None:
    # spaCy split "Capt." from its full stop and the parser ended the sentence there
    found = _said_by(nlp, compiled, "\u201cWe got everyone out,\u201d Fire Capt. Mara Lindqvist told reporters.")
    assert [(s.removeprefix("Fire Capt. "), c) for s, c in found] == [("Mara Lindqvist", "We got everyone out")]


def test_acronyms_that_spell_pronouns_may_speak(nlp: Language, compiled: CompiledRuleSet) -> None:
    assert _said_by(nlp, compiled, "The WHO said cases were rising in the region.") == [
        ("WHO", "cases were rising in the region")
    ]
    assert [s for s, _ in _said_by(nlp, compiled, "\u201cWe will respond,\u201d the US said in a statement.")] == ["US"]


def test_the_time_of_saying_is_not_what_was_said(nlp: Language, compiled: CompiledRuleSet) -> None:
    assert _said_by(nlp, compiled, "Okello said on Sunday he would not attend the talks.") == [
        ("Okello", "he would not attend the talks")
    ]
    assert [c for _, c in _said_by(nlp, compiled, "The minister told reporters on Friday the talks had failed.")] == [
        "the talks had failed"
    ]
    # a date that is the reported clause's subject stays
    assert [c for _, c in _said_by(nlp, compiled, "He said last year was the worst for farmers.")] == [
        "last year was the worst for farmers"
    ]


def test_an_inverted_speaker_after_a_split_quote_is_not_the_quote(nlp: Language, compiled: CompiledRuleSet) -> None:
    found = _said_by(
        nlp, compiled, "\u201cThe economy,\u201d said the governor, \u201cis stronger than it looks.\u201d"
    )
    assert {speaker for speaker, _ in found} == {"the governor"}


def test_joint_speakers_are_one_speaker(nlp: Language, compiled: CompiledRuleSet) -> None:
    found = _said_by(nlp, compiled, "Amina Yusuf, Peter Otieno and Grace Wanjiru said the vote was rigged.")
    assert [s for s, _ in found] == ["Amina Yusuf, Peter Otieno and Grace Wanjiru"]


def test_they_is_never_a_place(nlp: Language, compiled: CompiledRuleSet) -> None:
    text = "Grace Mwangi and her sister run a small shop in Nakuru. They said sales had fallen."
    assert ("They", "Nakuru") not in _speakers_with_names(nlp, compiled, text)


def test_a_quote_after_a_sentence_presenting_someone_new_is_theirs(nlp: Language, compiled: CompiledRuleSet) -> None:
    text = (
        "\u201cWe were robbed,\u201d said coach Tomas Brandt.\n"
        "His counterpart, Joaquim Silva, disagreed. \u201cThe better team won tonight.\u201d"
    )
    assert ("Joaquim Silva", "The better team won tonight.") in _said_by(nlp, compiled, text)
    # a pronoun subject goes on with the speaker before
    text = "\u201cWe were robbed,\u201d said coach Tomas Brandt. He was still angry. \u201cThe referee cost us.\u201d"
    assert ("Tomas Brandt", "The referee cost us.") in _said_by(nlp, compiled, text)
    # also when the reaction is a paragraph of its own between the two quotes
    text = "\u201cWe were robbed,\u201d said coach Tomas Brandt.\nHe paused.\n\u201cThe referee cost us.\u201d"
    assert ("Tomas Brandt", "The referee cost us.") in _said_by(nlp, compiled, text)
    # a surname alone presents the person named in full before
    text = (
        "Ruth Adeyemi, a councillor, voted against the levy.\nThe motion passed.\n"
        "Adeyemi was unrepentant.\n\u201cI would vote the same way tomorrow.\u201d"
    )
    said = [(_speaker(e), _content(e)) for e in _statements(nlp, compiled, text)]
    assert ("Ruth Adeyemi", "I would vote the same way tomorrow.") in said


def test_he_after_a_reporter_spoke_to_someone_is_the_one_spoken_to(nlp: Language, compiled: CompiledRuleSet) -> None:
    text = (
        "Crews restored power to the city, Ciaran Walsh of the network operator said. Our reporter in"
        " Mayo spoke to a fisherman near Belmullet who lost his boat overnight. He said the storm was"
        " the worst he had seen."
    )
    said = [(_speaker(e), _content(e)) for e in _statements(nlp, compiled, text)]
    assert ("a fisherman near Belmullet", "the storm was the worst he had seen") in said, said


def test_a_caller_who_asks_for_attacks_gets_no_statements_of_attribution(
    nlp: Language, compiled: CompiledRuleSet
) -> None:
    # transcript turns and quotes carried over are statements too: asked for attacks, none comes
    text = (
        "DANA WHITFIELD, HOST: Good morning.\nWHITFIELD: The mayor joins us.\n"
        "MAYOR ROSA IBARRA: Thank you.\nIBARRA: We lost two bridges.\nWHITFIELD: Thanks."
    )
    assert {e.type for e in extract(nlp, compiled, [text]).docs[0].events} == {"statement"}
    assert extract(nlp, compiled, [text], types=frozenset({"attack"})).docs[0].events == []


def test_a_percent_sign_stays_with_its_number(nlp: Language, compiled: CompiledRuleSet) -> None:
    assert _said_by(nlp, compiled, "The statistics office said inflation fell to 3%.") == [
        ("The statistics office", "inflation fell to 3%")
    ]


def test_a_person_apposed_to_the_of_object_is_the_speaker(nlp: Language, compiled: CompiledRuleSet) -> None:
    # the parser hangs the name on "Boeing"; "the wife of John Smith" stays no one's
    text = "The chief executive of Boeing, Dave Calhoun, told analysts the plane was safe."
    assert [n for _, n in _speakers_with_names(nlp, compiled, text)] == ["Dave Calhoun"]
    text = "The wife of John Smith, a lawyer, said the house was sold."
    assert [n for _, n in _speakers_with_names(nlp, compiled, text)] == [""]


@pytest.mark.parametrize(
    ("text", "speaker", "name"),
    [
        # "it" goes on with the body that spoke, not with the place its words named
        (
            "The Norwegian Meteorological Institute said 300 millimetres of rain fell in the city of Bergen "
            "in the 24 hours to 6 a.m. Tuesday. It warned residents to stay away from the river banks.",
            "It",
            "The Norwegian Meteorological Institute",
        ),
        # the grandfather shares her surname: his being male must not make "she" his
        (
            "Elena Varga has made violins in Edinburgh for thirty years.\n"
            "Her grandfather, Lajos Varga, was a carpenter in Szeged.\n"
            "\u201cThe wood decides most of what it will be,\u201d she says.",
            "she",
            "Elena Varga",
        ),
        # the model tags the lone surname PRODUCT, yet the name before ended with it
        (
            "Police Commissioner Lisa Cole held a briefing on Monday. \u201cWe have made two arrests,\u201d Cole said.",
            "Cole",
            "Lisa Cole",
        ),
        # the age a person was given before ("the 35-year-old" is a DATE to the model)
        (
            "Mary Atieno, 35, runs a kiosk in Kibera. \u201cBusiness has been slow since March,\u201d the 35-year-old said.",
            "the 35-year-old",
            "Mary Atieno",
        ),
        # a title and a surname, as "Mr Sunak" already did
        ("Jacinda Ardern spoke on Monday. Ms Ardern said she was tired.", "Ms Ardern", "Jacinda Ardern"),
        # "the teenager" takes up a person given an age from 13 to 19
        (
            "Aisha Bello, 17, was hurt in the crush. \u201cI could not breathe,\u201d the teenager said.",
            "the teenager",
            "Aisha Bello",
        ),
        # a setting that opens the sentence is no speaker: the one in apposition to it speaks
        (
            "Outside court, the family's solicitor, Grainne Mahon, said they welcomed the ruling.",
            "the family's solicitor, Grainne Mahon",
            "Grainne Mahon",
        ),
    ],
)
def test_a_speaker_resolves_to_the_name_the_story_gave(
    nlp: Language, compiled: CompiledRuleSet, text: str, speaker: str, name: str
) -> None:
    assert (speaker, name) in _speakers_with_names(nlp, compiled, text)


def test_speech_quoted_inside_a_quotation_does_not_take_over_the_next_quote(
    nlp: Language, compiled: CompiledRuleSet
) -> None:
    text = "“The council says the lift is repaired,” resident Ilan Sorel said. “It is not. We carry the prams.”"
    carried = [e for e in _statements(nlp, compiled, text) if e.attrs.get("speaker_source") == "CARRIED_OVER"]
    assert [(_speaker(e), _content(e)) for e in carried] == [("Ilan Sorel", "It is not. We carry the prams.")]


def test_a_negative_answer_in_quotes_is_still_said(nlp: Language, compiled: CompiledRuleSet) -> None:
    found = _statements(nlp, compiled, "“Certainly not,” the harbour master told reporters.")
    assert [(_speaker(e), _content(e)) for e in found] == [("the harbour master", "Certainly not")]
    assert _statements(nlp, compiled, "The harbour master did not say the pier was closed.") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "The port authority said the tolls were fair and urged hauliers to pay on time.",
            {("said", "The port authority", "the tolls were fair"), ("urged", "The port authority", "to pay on time")},
        ),
        (
            "The union said the rota was unsafe and warned of a strike in May.",
            {("said", "The union", "the rota was unsafe"), ("warned", "The union", "a strike in May")},
        ),
        (
            "The chairman said the club would sell the ground, stressing that the team would stay in town.",
            {
                ("said", "The chairman", "the club would sell the ground"),
                ("stressing", "The chairman", "that the team would stay in town"),
            },
        ),
    ],
)
def test_a_second_speech_act_coordinated_into_the_clause_is_the_reporters(
    nlp: Language, compiled: CompiledRuleSet, text: str, expected: set[tuple[str, str, str]]
) -> None:
    found = {(e.roles["cue"].text, _speaker(e), _content(e)) for e in _statements(nlp, compiled, text)}
    assert found == expected


def test_organisations_named_by_a_phrase_speak_whole(nlp: Language, compiled: CompiledRuleSet) -> None:
    for text, speaker in [
        ("Engineers Without Borders said the well would be finished by June.", "Engineers Without Borders"),
        ("Save the Children said two schools had reopened in the valley.", "Save the Children"),
    ]:
        assert [_speaker(e) for e in _statements(nlp, compiled, text)] == [speaker]


def test_a_denied_speech_act_is_no_statement_of_its_own(nlp: Language, compiled: CompiledRuleSet) -> None:
    found = _statements(nlp, compiled, "The treasurer denied saying that the pool would be sold.")
    assert [e.roles["cue"].text for e in found] == ["denied"]


@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        ("“The pitch was heavy,” the 31-year-old said in Porto.", "the 31-year-old"),
        ("The 44-year-old told reporters she had not been paid since March.", "The 44-year-old"),
        ("The 58-year-old insisted he had never met the buyer.", "The 58-year-old"),
    ],
)
def test_an_age_as_the_speaker_keeps_its_statement(
    nlp: Language, compiled: CompiledRuleSet, text: str, speaker: str
) -> None:
    """Split at its hyphens, "the 31-year-old" left the parser an adjective before the verb and
    the statement lost its subject; the tokenizer keeps an age whole (pipeline.AGE_COMPOUND)."""
    assert [e.roles["speaker"].text for e in _statements(nlp, compiled, text)] == [speaker]
    assert "31-year-old" in [tok.text for tok in nlp("the 31-year-old, aged")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (  # paragraphs left open, the first one after its cue
            "“Nobody expects a lighthouse keeper to talk much,” says Odile Marchetti, who kept the light"
            " at Punta Sella for twenty years. “But I talked to the gulls every day.\n\n"
            "“The first winter was the hardest. The generator failed twice.\n\n"
            "“After that, the silence was a friend.”\n\nShe retired in 2019.",
            [
                ("Odile Marchetti", "But I talked to the gulls every day."),
                ("Odile Marchetti", "The first winter was the hardest. The generator failed twice."),
                ("Odile Marchetti", "After that, the silence was a friend."),
            ],
        ),
        (  # the magazine way: a closed, attributed quote, then open paragraphs; an excerpt after
            # "The notice read:" has no quote before it and is no one's
            "“The river taught me patience,” says the ferryman Aurelio Pinto.\n\n"
            "“My uncle ran this crossing before me. He never once hurried.\n\n"
            "“When the bridge opened, we lost half our trade in a month.”\n\n"
            "The notice on the jetty read:\n\n“All crossings are suspended until spring.\n\n“Tickets will be refunded.”",
            [
                ("Aurelio Pinto", "My uncle ran this crossing before me. He never once hurried."),
                ("Aurelio Pinto", "When the bridge opened, we lost half our trade in a month."),
            ],
        ),
    ],
)
def test_a_quotation_over_paragraphs_keeps_its_speaker(
    nlp: Language, compiled: CompiledRuleSet, text: str, expected: list[tuple[str, str]]
) -> None:
    carried = [e for e in _statements(nlp, compiled, text) if e.attrs.get("speaker_source") == "CARRIED_OVER"]
    assert [(_speaker(e), _content(e)) for e in carried] == expected


@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        ("Omar Farouk scored twice in the final.\n\n“We never stopped believing,” the Egyptian said.", "Omar Farouk"),
        ("Tomas Greve scored the winner. “It was a dream,” the 29-year-old said in Porto.", "Tomas Greve"),
        ("Alan Pemberton faced the inquiry on Monday. “I regret it,” the former minister said.", "Alan Pemberton"),
        (
            "Senator Ana Ruiz spent the week in talks.\n\n“The deal is close,” the New Mexico Democrat told reporters.",
            "Ana Ruiz",
        ),
        ("Ana Ruiz praised Mia Holt after the game. “She was brilliant,” the coach said.", "the coach"),
        (  # a surname, a courtesy title and the name in full are one person
            "Lena Hartwig Osei bought the mill in 1990. Ms Osei, the owner, spoke to the panel.\n\n"
            "“I kept every loom running,” the 70-year-old said.",
            "Lena Hartwig Osei",
        ),
        (  # a name the model may tag as an organisation, beside the subject, then its surname
            "One neighbour, Corwin Faulke of Dunmore, said he heard nothing. Faulke, who drove a "
            "bus for 30 years, still lives there.\n\n“The street was silent,” the retired driver said.",
            "Corwin Faulke",
        ),
        (  # the same title before the name: the description is hers
            "The assembly censured Wanjiku Amollo Rotich on Tuesday. Governor Rotich called it a stunt.\n\n"
            "“I have nothing to hide,” the first-term governor said.",
            "Wanjiku Amollo Rotich",
        ),
        (  # another title of the document's: not her
            "Chief Minister Kavita Rao toured the dam. “We will rebuild,” the prime minister said.",
            "the prime minister",
        ),
        (  # nor any other noun: a body
            "Chief Minister Kavita Rao opened the depot. “It is a stunt,” the opposition said.",
            "the opposition",
        ),
        (  # a bare office is someone the story has not named
            "Oren Basri said the ruling was unfair.\n\n“The law is clear,” the judge said.",
            "the judge",
        ),
        (  # a nation's man, whatever the model's label; a name inside the quote is not narration
            "Didier Marchal said the engine had failed twice. “Marco drove a perfect race,” the Frenchman said.",
            "Didier Marchal",
        ),
    ],
)
def test_an_epithet_takes_the_one_person_named_just_before(
    nlp: Language, compiled: CompiledRuleSet, text: str, speaker: str
) -> None:
    """Sports and court copy name someone once, then describe them; with two people named there,
    the description takes no one."""
    quoted = [e for e in _statements(nlp, compiled, text) if e.attrs.get("kind") == "DIRECT"]
    assert [_speaker(e) for e in quoted] == [speaker]


@pytest.mark.parametrize(
    ("text", "speakers"),
    [
        (  # a pronoun after someone the story did not name is theirs, not the last named speaker's
            "Inspector Rhys Morgan said two men had been held. A neighbour said she heard shouting.\n\n"
            "“The door was kicked in,” she said.",
            ["Rhys Morgan", "A neighbour", "A neighbour"],
        ),
        (  # a named speaker after them is nearer again
            "Mayor Ines Carvalho said the pier would reopen. A fisherman said the work was slow. "
            "Carvalho said she understood.\n\n“We are doing our best,” she said.",
            ["Ines Carvalho", "A fisherman", "Ines Carvalho", "Ines Carvalho"],
        ),
    ],
)
def test_a_pronoun_after_an_unnamed_speaker_is_that_speakers(
    nlp: Language, compiled: CompiledRuleSet, text: str, speakers: list[str]
) -> None:
    assert [_speaker(e) for e in _statements(nlp, compiled, text)] == speakers


def test_speech_inside_a_quotation_is_the_quotations_not_its_own(nlp: Language, compiled: CompiledRuleSet) -> None:
    text = "“The council promised a new roof in May. We are still waiting,” tenant Ilan Sorel said."
    assert [(_speaker(e), e.roles["cue"].text) for e in _statements(nlp, compiled, text)] == [("Ilan Sorel", "said")]


def test_a_rank_is_no_negation(nlp: Language, compiled: CompiledRuleSet) -> None:
    found = _statements(nlp, compiled, "“We move on,” the former world No 3 said after the match.")
    assert [_content(e) for e in found] == ["We move on"]
    assert _statements(nlp, compiled, "No one said the court was closed.") == []


@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        ("A spokesman for the Harbour Board said the pier would reopen.", "A spokesman for the Harbour Board"),
        ("Lawyers for the two drivers said they would appeal.", "Lawyers for the two drivers"),
        ("“We are checking the footage,” an official at the port authority said.", "an official at the port authority"),
    ],
)
def test_a_speaker_keeps_whom_it_speaks_for(nlp: Language, compiled: CompiledRuleSet, text: str, speaker: str) -> None:
    assert [e.roles["speaker"].text for e in _statements(nlp, compiled, text)] == [speaker]


def test_a_simple_past_the_reported_verb_cannot_continue_is_not_content(
    nlp: Language, compiled: CompiledRuleSet
) -> None:
    (event,) = _statements(nlp, compiled, "The mayor said the bridge would reopen on Friday and apologised to drivers.")
    assert event.roles["content"].text == "the bridge would reopen on Friday"


def test_a_quote_paragraph_after_a_presenting_paragraph_is_that_persons(
    nlp: Language, compiled: CompiledRuleSet
) -> None:
    text = (
        "The bus driver's sister, Maria Keane, made a tearful appeal outside the courthouse.\n\n"
        "“He was driving that route for twenty years and never had a scratch.”"
    )
    assert _speakers_with_names(nlp, compiled, text) == [("Maria Keane", "Maria Keane")]


def test_the_cook_told_the_inquest_he_had_checked_the_label(nlp: Language, compiled: CompiledRuleSet) -> None:
    (event,) = _statements(nlp, compiled, "The cook told the inquest he had checked the label.")
    assert (event.roles["speaker"].text, event.roles["content"].text) == ("The cook", "he had checked the label")


@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        ("The plant will close next year, people familiar with the plans said.", "people familiar with the plans"),
        ("A source close to the talks said the two sides were far apart.", "A source close to the talks"),
        ("Analysts polled by the agency said inflation would ease.", "Analysts polled by the agency"),
        (
            "An official with knowledge of the inquiry said the driver had fled.",
            "An official with knowledge of the inquiry",
        ),
    ],
)
def test_an_unnamed_source_keeps_what_makes_it_a_source(
    nlp: Language, compiled: CompiledRuleSet, text: str, speaker: str
) -> None:
    assert [_speaker(e) for e in _statements(nlp, compiled, text)] == [speaker]


def test_a_question_quote_keeps_its_cue_beside_a_participle_after_it(nlp: Language, compiled: CompiledRuleSet) -> None:
    # the parser ends the sentence at the question mark, so "she said" has no clause of its own
    # until the quote is found; the participle's statement after it is another statement
    text = "\u201cWho will pay for the repairs?\u201d the tenant said, adding that the landlord had vanished."
    said = [(e.roles["cue"].text, _content(e)) for e in _statements(nlp, compiled, text)]
    assert said == [("said", "Who will pay for the repairs?"), ("adding", "that the landlord had vanished")]
