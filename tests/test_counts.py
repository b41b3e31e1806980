"""Count phrases: the parser alone (fast, no model) and inside casualty sentences through the real
extractor with the real model, where spaCy splits a number phrase over several tokens and the
count must still cover all of it ("Sixty - one" is three tokens, "Between 15 and 25" four)."""

from __future__ import annotations

import pytest
from spacy.language import Language

from service.engine.compiled import CompiledRuleSet
from service.engine.extractor import extract
from service.events.quantities import Parsed, count_prefix, parse_quantity, phrase_bounds

# --- fast tier: the parser on its own ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("four", Parsed(4, 4, "EXACT")),
        ("Twenty-one", Parsed(21, 21, "EXACT")),
        ("Sixty - one", Parsed(61, 61, "EXACT")),
        ("sixty \u2013 one", Parsed(61, 61, "EXACT")),
        ("One hundred and forty-three", Parsed(143, 143, "EXACT")),
        ("one hundred forty three", Parsed(143, 143, "EXACT")),
        ("three hundred and five thousand", Parsed(305_000, 305_000, "EXACT")),
        ("a hundred", Parsed(100, 100, "EXACT")),
        ("1,200", Parsed(1200, 1200, "EXACT")),
        ("1.5 million", Parsed(1_500_000, 1_500_000, "EXACT")),
        ("a dozen", Parsed(12, 12, "EXACT")),
        ("two dozen", Parsed(24, 24, "EXACT")),
        ("half a million", Parsed(500_000, 500_000, "EXACT")),
        ("more than half a million", Parsed(500_000, None, "MORE_THAN")),
        ("a quarter of a million", Parsed(250_000, 250_000, "EXACT")),
        ("dozens", Parsed(24, None, "APPROXIMATE")),
        ("tens of thousands", Parsed(20_000, None, "APPROXIMATE")),
        ("several hundred", Parsed(300, None, "APPROXIMATE")),
        ("at least 12", Parsed(12, None, "AT_LEAST")),
        ("more than 100,000", Parsed(100_000, None, "MORE_THAN")),
        ("up to fifty", Parsed(0, 50, "AT_MOST")),
        ("fewer than ten", Parsed(0, 10, "LESS_THAN")),
        ("nearly 300", Parsed(300, 300, "APPROXIMATE")),
        ("between 15 and 25", Parsed(15, 25, "RANGE")),
        ("between two hundred and fifty and three hundred", Parsed(250, 300, "RANGE")),
        ("15 to 25", Parsed(15, 25, "RANGE")),
        ("15-25", Parsed(15, 25, "RANGE")),
        ("two or three", Parsed(2, 3, "RANGE")),
    ],
)
def test_parse_quantity(text: str, expected: Parsed) -> None:
    assert parse_quantity(text) == expected


@pytest.mark.parametrize(
    "text",
    ["the", "several", "a few", "first", "2014 , 12", "three and", "between 15", "25 to 15", "of"],
)
def test_not_a_count(text: str) -> None:
    assert parse_quantity(text) is None


@pytest.mark.parametrize(
    ("words", "index", "expected"),
    [
        ("One hundred and forty - three civilians were killed", 1, "One hundred and forty - three"),
        ("killed at least forty - two people", 3, "at least forty - two"),
        ("Between 15 and 25 people were hurt", 1, "Between 15 and 25"),
        ("In 2014 , 12 people died", 3, "12"),  # the year and its comma stay out
        ("killing three and wounding 12", 1, "three"),
    ],
)
def test_phrase_bounds(words: str, index: int, expected: str) -> None:
    tokens = words.split()
    start, end = phrase_bounds(tokens, index)
    assert " ".join(tokens[start:end]) == expected


@pytest.mark.parametrize(
    ("words", "expected"),
    [("Dozens of people", 1), ("nearly 300 lives", 2), ("Between 15 and 25 people", 4), ("Several children", 0)],
)
def test_count_prefix(words: str, expected: int) -> None:
    assert count_prefix(words.split()) == expected


# --- model tier: count phrases inside casualty sentences -----------------------------------------

COUNT_SENTENCES = [
    # (sentence, the count's text, min, max, qualifier)
    ('Four fishermen were killed when the shell hit the pier.', 'Four', 4, 4, "EXACT"),
    ('Twelve villagers were wounded in the raid on Osterby.', 'Twelve', 12, 12, "EXACT"),
    ('Twenty-one guards were killed at the checkpoint.', 'Twenty-one', 21, 21, "EXACT"),
    ('Sixty - one soldiers were wounded near the Varna bridge.', 'Sixty - one', 61, 61, "EXACT"),
    ('Seventy - three miners were hurt when the gunmen stormed the camp.', 'Seventy - three', 73, 73, "EXACT"),
    ('One hundred and forty-three civilians were killed in the raid on Dunmore.', 'One hundred and forty-three', 143, 143, "EXACT"),
    ('One hundred and forty - three civilians were killed in the raid on Dunmore.', 'One hundred and forty - three', 143, 143, "EXACT"),
    ('The famine killed three hundred and five thousand people in the province.', 'three hundred and five thousand', 305000, 305000, "EXACT"),
    ('Two thousand and twelve soldiers died in the battle for Kelso.', 'Two thousand and twelve', 2012, 2012, "EXACT"),
    ('More than 1,200 people were killed in the fighting around Harwick.', 'More than 1,200', 1200, None, "MORE_THAN"),
    ('The shelling killed 1,024 residents of Brindle over the winter.', '1,024', 1024, 1024, "EXACT"),
    # a count with no noun after it: the noun of the count ("dozen") is no victim
    ('Shells hit the market on Sunday, injuring more than two dozen.', 'more than two dozen', 24, None, "MORE_THAN"),
    ('Nearly 1.5 million people have been killed in the war.', 'Nearly 1.5 million', 1500000, 1500000, "APPROXIMATE"),
    ('At least twenty-two people were killed in the bombing in Arlow.', 'At least twenty-two', 22, None, "AT_LEAST"),
    ('The bombing killed at least forty - two people in the market.', 'at least forty - two', 42, None, "AT_LEAST"),
    ('Up to 50 people were killed when the ferry was attacked.', 'Up to 50', 0, 50, "AT_MOST"),
    ('Fewer than ten people were injured in the grenade attack.', 'Fewer than ten', 0, 10, "LESS_THAN"),
    ('Over 200 protesters were wounded by police in Marwick.', 'Over 200', 200, None, "MORE_THAN"),
    ('About thirty people died after the ambush near Coldbrook.', 'About thirty', 30, 30, "APPROXIMATE"),
    ('Some 2,000 civilians have been killed since the offensive began.', 'Some 2,000', 2000, 2000, "APPROXIMATE"),
    ('Almost 90 soldiers were wounded in the counterattack.', 'Almost 90', 90, 90, "APPROXIMATE"),
    ('Roughly 400 people were killed in the massacre at Tellan.', 'Roughly 400', 400, 400, "APPROXIMATE"),
    ('An estimated 3,000 civilians died in the siege of Orvel.', 'An estimated 3,000', 3000, 3000, "APPROXIMATE"),
    ('No fewer than 18 rebels were killed in the clashes.', 'No fewer than 18', 18, None, "AT_LEAST"),
    ('As many as 70 passengers were injured in the train bombing.', 'As many as 70', 0, 70, "AT_MOST"),
    ('Between 15 and 25 people were hurt in the attack on the bus station.', 'Between 15 and 25', 15, 25, "RANGE"),
    ('Between fifteen and twenty - five people were killed in the shelling.', 'Between fifteen and twenty - five', 15, 25, "RANGE"),
    ('The gunmen killed 15 to 25 villagers in Hollin, witnesses said.', '15 to 25', 15, 25, "RANGE"),
    ('The shelling killed 15-25 civilians in the old quarter.', '15-25', 15, 25, "RANGE"),
    ('Two or three guards were wounded in the exchange of fire.', 'Two or three', 2, 3, "RANGE"),
    ('From 40 to 60 people were injured in the blast at the depot.', 'From 40 to 60', 40, 60, "RANGE"),
    ('Between 300 and 400 were killed in the fighting for the port.', 'Between 300 and 400', 300, 400, "RANGE"),
    ('Dozens of people were injured in the blast at the station.', 'Dozens', 24, None, "APPROXIMATE"),
    ('Hundreds of villagers were killed by the militia in Sorran.', 'Hundreds', 200, None, "APPROXIMATE"),
    ('Tens of thousands of people have been killed since the war began.', 'Tens of thousands', 20000, None, "APPROXIMATE"),
    ('A car bomb exploded outside the ministry, killing dozens.', 'dozens', 24, None, "APPROXIMATE"),
    ('Hundreds of migrants died crossing the desert near Gallan.', 'Hundreds', 200, None, "APPROXIMATE"),
    ('A dozen soldiers were killed in the ambush.', 'A dozen', 12, 12, "EXACT"),
    ('Two dozen prisoners were executed at dawn.', 'Two dozen', 24, 24, "EXACT"),
    ('The death toll rose to 40 on Sunday.', '40', 40, 40, "EXACT"),
    ('The death toll from the attack has climbed to more than 300.', 'more than 300', 300, None, "MORE_THAN"),
    ('The official toll now stands at nearly two hundred.', 'nearly two hundred', 200, 200, "APPROXIMATE"),
    ('The second blast brought the death toll to sixty - three.', 'sixty - three', 63, 63, "EXACT"),
    ('Officials gave a death toll of at least 17.', 'at least 17', 17, None, "AT_LEAST"),
    ('The number of dead is 12, the governor said.', '12', 12, 12, "EXACT"),
    ('The number of people killed in the shelling rose to 75.', '75', 75, 75, "EXACT"),
    ('The fighting has claimed nearly 300 lives.', 'nearly 300', 300, 300, "APPROXIMATE"),
    ('The ministry reported 30 deaths overnight in Corran.', '30', 30, 30, "EXACT"),
    ('The attack on the convoy left at least 12 dead.', 'at least 12', 12, None, "AT_LEAST"),
    ('The militants killed eleven, the army said.', 'eleven', 11, 11, "EXACT"),
    ('Between twenty and twenty-five people were wounded in the blast.', 'Between twenty and twenty-five', 20, 25, "RANGE"),
    ('Officials put the number of dead at 26 on Friday.', '26', 26, 26, "EXACT"),
]  # fmt: skip


def test_the_table_is_broad() -> None:
    assert len(COUNT_SENTENCES) >= 40
    assert {row[4] for row in COUNT_SENTENCES} >= {
        "EXACT",
        "APPROXIMATE",
        "AT_LEAST",
        "MORE_THAN",
        "AT_MOST",
        "LESS_THAN",
        "RANGE",
    }


@pytest.mark.parametrize(("text", "phrase", "low", "high", "qualifier"), COUNT_SENTENCES)
def test_count_in_a_casualty_sentence(
    nlp: Language, compiled: CompiledRuleSet, text: str, phrase: str, low: int, high: int | None, qualifier: str
) -> None:
    events = [e for e in extract(nlp, compiled, [text]).docs[0].events if e.type == "casualty"]
    counted = [e for e in events if "count" in e.quantities]
    counts = [(e.quantities["count"].text, e.quantities["count"].min, e.quantities["count"].max,
               e.quantities["count"].qualifier) for e in counted]  # fmt: skip
    assert counts == [(phrase, low, high, qualifier)], events
    count = counted[0].quantities["count"]
    assert text[count.start : count.end] == phrase
    for role in counted[0].roles.values():  # no other role keeps a piece of the count
        assert role.end <= count.start or role.start >= count.end, role


YEAR_SENTENCES = [
    # a year before the harm noun or the victims' noun is a date, never the number of victims
    'Relatives marked the 1987 killing of Dara Voss with a vigil.',
    'Survivors recalled the 1976 riots, in which dozens of miners were killed.',
    'Investigators reopened the 2011 shooting death of Tomas Vell.',
]  # fmt: skip


@pytest.mark.parametrize("text", YEAR_SENTENCES)
def test_a_year_is_no_count(nlp: Language, compiled: CompiledRuleSet, text: str) -> None:
    events = [e for e in extract(nlp, compiled, [text]).docs[0].events if e.type == "casualty"]
    assert events, text
    counts = [e.quantities["count"].text for e in events if "count" in e.quantities]
    assert not any(c.isdigit() and len(c) == 4 for c in counts), events


AGE_SENTENCES = [
    # an age is one token (pipeline.AGE_COMPOUND) that the tagger may call a number: the victim
    # it describes is still one person
    ('The gunman used a rifle to kill 19-year-old Dara Voss outside the club.', 1),
    ('Soldiers shot dead a 40-year-old herder and his two sons near the well.', 3),
    ('A 7-year-old boy was wounded by shrapnel in the market.', 1),
]  # fmt: skip


@pytest.mark.parametrize(("text", "people"), AGE_SENTENCES)
def test_an_age_is_no_count(nlp: Language, compiled: CompiledRuleSet, text: str, people: int) -> None:
    events = [e for e in extract(nlp, compiled, [text]).docs[0].events if e.type == "casualty"]
    assert [(e.quantities["count"].min, e.quantities["count"].max) for e in events] == [(people, people)], events


PAIR_SENTENCES = [
    # (sentence, the two counts in order: killed, then injured)
    ('The state broadcaster reported 12 dead and 40 wounded.', [('12', 'killed'), ('40', 'injured')]),
    ('The blast left nine killed and 31 injured near the depot.', [('nine', 'killed'), ('31', 'injured')]),
    ('Medics counted 15 dead and more than 60 injured after the raid.', [('15', 'killed'), ('more than 60', 'injured')]),
    ('Four dead, 23 injured as bus overturns on mountain road.', [('Four', 'killed'), ('23', 'injured')]),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), PAIR_SENTENCES)
def test_both_counts_of_a_toll_pair(
    nlp: Language, compiled: CompiledRuleSet, text: str, expected: list[tuple[str, str]]
) -> None:
    events = [e for e in extract(nlp, compiled, [text]).docs[0].events if e.type == "casualty"]
    got = sorted(
        ((e.quantities["count"].text, e.attrs.get("kind", "").lower()) for e in events if "count" in e.quantities),
        key=lambda pair: text.index(pair[0]),
    )
    assert got == expected, events


ONE_BY_ONE_SENTENCES = [
    # (sentence, how many people the victims phrase names one by one; None: no count of its own)
    ('A police officer was killed in the blast.', 1),
    ('The driver was wounded by shrapnel near the depot.', 1),
    ('Maria Lopez was killed when the shell struck her house.', 1),
    ('A woman and her teenage son were killed when the shell hit.', 2),
    ('The crew was kidnapped off the coast.', None),  # a group in the singular
    ('Police were injured in the riot.', None),
    ('Dozens of people were injured in the crush.', 24),
    # a list of three or more, its commas included; an apposition is no second person
    ('The dead included the cook, the guard and a two-year-old girl.', 3),
    ('Among those killed were a nurse, a teacher and three pupils.', 5),
    ('A fifth man, a baker, was wounded and died later in hospital.', 1),
    # a group that gives its size; a couple is no one person
    ('Artillery fire killed a family of five near the river crossing.', 5),
    ('A family of four was killed when the roof of their house fell in.', 4),
    ('Raiders killed a couple at their farm outside the village.', None),
    # a plural's apposition that names more people than its number is the list's middle item
    ('The dead were two guards, a cook and three porters.', 6),
    ('At least nine people, among them four women and a boy, were killed.', 9),
    # a lower bound in one conjunct makes the sum a lower bound (test below)
    ('Gunmen killed four soldiers and at least three civilians at the market.', 7),
]  # fmt: skip


def test_a_sum_with_a_lower_bound_is_a_lower_bound(nlp: Language, compiled: CompiledRuleSet) -> None:
    text = "Gunmen killed four soldiers and at least three civilians at the market."
    (event,) = [e for e in extract(nlp, compiled, [text]).docs[0].events if e.type == "casualty"]
    count = event.quantities["count"]
    assert (count.min, count.max, count.qualifier) == (7, None, "AT_LEAST")


@pytest.mark.parametrize(("text", "expected"), ONE_BY_ONE_SENTENCES)
def test_people_named_one_by_one_are_counted(
    nlp: Language, compiled: CompiledRuleSet, text: str, expected: int | None
) -> None:
    events = [e for e in extract(nlp, compiled, [text]).docs[0].events if e.type == "casualty"]
    assert len(events) == 1, events
    count = events[0].quantities.get("count")
    assert (count.min if count is not None else None) == expected, events


def test_a_third_hurt_after_a_count_is_one_more(nlp: Language, compiled: CompiledRuleSet) -> None:
    events = extract(nlp, compiled, ["Two guards were killed and a third was wounded."]).docs[0].events
    counts = {(e.attrs["kind"], e.quantities["count"].min) for e in events if e.type == "casualty"}
    assert counts == {("KILLED", 2), ("INJURED", 1)}, events


def test_one_of_the_injured_is_who_the_apposition_says(nlp: Language, compiled: CompiledRuleSet) -> None:
    text = "One of the injured, a 52-year-old baker, died in hospital on Sunday."
    deaths = [e for e in extract(nlp, compiled, [text]).docs[0].events if e.attrs.get("kind") == "KILLED"]
    assert [(e.roles["victims"].text, e.quantities["count"].min) for e in deaths] == [("a 52-year-old baker", 1)]
