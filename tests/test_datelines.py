"""Datelines ("KYIV, Ukraine (AP) —") are found at the start of a text or a line and nowhere
else; no event takes a role from one (the parser makes the city a subject)."""

from __future__ import annotations

import pytest
from spacy.language import Language

from service.engine.compiled import CompiledRuleSet
from service.engine.extractor import extract
from service.events.datelines import clip, dateline_ranges, in_dateline


@pytest.mark.parametrize(
    ("text", "dateline"),
    [
        ("KANDAHAR, Afghanistan — A suicide bomber rammed a car into a gate.", "KANDAHAR, Afghanistan —"),
        ("BEIRUT (Reuters) - Jets struck a depot overnight.", "BEIRUT (Reuters) -"),
        ("LONDON, Dec 2 (Reuters) - Police said two men were held.", "LONDON, Dec 2 (Reuters) -"),
        ("The story began.\nNEW YORK -- A man was shot on Sunday.", "NEW YORK --"),
        ('GAZA CITY — "We ran," she said.', "GAZA CITY —"),
        ("PESHAWAR: At least 12 people were killed in a blast.", "PESHAWAR:"),
        ("BOGOTÁ, Colombia — Élida Ruiz said the road was shut.", "BOGOTÁ, Colombia —"),
        ("ŁÓDŹ (PAP) - Firefighters reached the mill at dawn.", "ŁÓDŹ (PAP) -"),
        ("4:26 p.m. CT – Another volunteer said the buses were late.", "4:26 p.m. CT –"),
        ("The count went on.\n09.15 GMT - Flights resumed from the north runway.", "09.15 GMT -"),
        ("The final score was 4:2 - a clear win.", None),
        ("Ratio: 3 to 1 in favour.", None),
        ("NATO — the alliance — said it would meet.", None),
        ("The UN said - quietly - that it would leave.", None),
        ("US-led forces struck a base near the border.", None),
    ],
)
def test_datelines_are_found_only_where_a_story_opens(nlp: Language, text: str, dateline: str | None) -> None:
    doc = nlp(text)
    found = [doc[start:end].text for start, end in dateline_ranges(doc)]
    assert found == ([] if dateline is None else [dateline])


@pytest.mark.fast
def test_clip_and_membership() -> None:
    ranges = ((0, 4), (20, 23))
    assert [i for i in range(25) if in_dateline(ranges, i)] == [0, 1, 2, 3, 20, 21, 22]
    assert clip(ranges, 0, 10) == (4, 10)  # a phrase that runs on past the dateline starts after it
    assert clip(ranges, 1, 3) == (1, 3)  # one wholly inside is left alone (its match was dropped)
    assert clip(ranges, 5, 9) == (5, 9)


def test_no_role_comes_from_a_dateline(nlp: Language, compiled: CompiledRuleSet) -> None:
    text = (
        "KANDAHAR, Afghanistan — A suicide bomber rammed a car into a police checkpoint on Thursday, "
        "killing nine officers, officials said."
    )
    events = extract(nlp, compiled, [text]).docs[0].events
    attack = next(e for e in events if e.type == "attack")
    assert {role: m.text for role, m in attack.roles.items() if role != "location"} == {
        "trigger": "rammed", "attacker": "A suicide bomber", "weapon": "a car", "target": "a police checkpoint",
    }  # fmt: skip
    statement = next(e for e in events if e.type == "statement")
    assert statement.roles["content"].text.startswith("A suicide bomber")


def test_a_live_blog_stamp_is_no_speaker(nlp: Language, compiled: CompiledRuleSet) -> None:
    # the parser makes the time zone or the time the entry's subject
    text = (
        "4:26 p.m. CT – A volunteer from Brandon, Rosa Whitby, said the buses to the venue were running late.\n"
        "4:40 p.m. CT – Okoro told reporters the party would leave the hall united."
    )
    events = extract(nlp, compiled, [text]).docs[0].events
    speakers = [e.roles["speaker"].text for e in events if e.type == "statement"]
    assert speakers == ["A volunteer from Brandon", "Okoro"], speakers


@pytest.mark.parametrize(
    ("text", "attacker"),
    [
        ("ERBIL, Kurdistan Region - A Turkish drone struck a vehicle near the town on Wednesday.", "A Turkish drone"),
        (
            "MOGADISHU, Aug 3 - Several mortar shells landed near the presidential palace on Saturday.",
            "Several mortar shells",
        ),
    ],
)
def test_a_dateline_ends_a_sentence_so_the_story_keeps_its_subject(
    nlp: Language, compiled: CompiledRuleSet, text: str, attacker: str
) -> None:
    """Read in one sentence with the dateline, the city was the subject and the drone a conjunct
    of it: no attack was found."""
    doc = nlp(text)
    story = text.split(" - ", 1)[1]
    assert any(sent.text == story for sent in doc.sents), [s.text for s in doc.sents]
    attack = next(e for e in extract(nlp, compiled, [text]).docs[0].events if e.type == "attack")
    assert attacker in {m.text for m in attack.roles.values()}


@pytest.mark.parametrize(
    ("text", "attacker"),
    [
        ("KANO, Nigeria, May 2 (Wire) - Gunmen killed 22 worshippers at a chapel in Ondo on Sunday.", "Gunmen"),
        ("QUETTA, Pakistan (Reuters) - Gunmen abducted nine travellers on the highway on Sunday.", "Gunmen"),
    ],
)
def test_the_first_word_after_a_dateline_is_a_common_noun_when_it_names_no_one(
    nlp: Language, compiled: CompiledRuleSet, text: str, attacker: str
) -> None:
    """The tagger read "Gunmen" after a dateline as a name (lemma "gunmen"): the casualty was
    found, the attack was not. `dateline_nouns` gives it the noun's tag and lemma."""
    first = nlp(text)[dateline_ranges(nlp(text))[0][1]]
    assert (first.pos_, first.lemma_) == ("NOUN", "gunman")
    attacks = [e for e in extract(nlp, compiled, [text]).docs[0].events if e.type == "attack"]
    assert [e.roles["attacker"].text for e in attacks] == [attacker]


def test_a_name_after_a_dateline_stays_a_name(nlp: Language) -> None:
    doc = nlp("KABUL, Afghanistan — Mark Hollis said the road to the airport was closed.")
    first = doc[dateline_ranges(doc)[0][1]]
    assert (first.text, first.pos_) == ("Mark", "PROPN")
