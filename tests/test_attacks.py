"""Attacks with the shipped rules and the real model: role fusion across rules, role errors fixed
by shape, and re-mentions of one event in multi-paragraph stories, also through a real server.

Every sentence here is written for the test (invented places and groups)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from spacy.language import Language

from service.engine.compiled import CompiledRuleSet
from service.engine.extractor import extract
from service.events.model import Event
from service.proto.sitrep.v1 import extraction_pb2 as pb
from service.proto.sitrep.v1 import extraction_pb2_grpc as pbg
from tests.server import RunningServer

BOMBING_STORY = """A car bomb exploded outside the grain exchange in Velmora on Tuesday, killing four people.

Witnesses said the blast shattered windows across the square. Traffic was stopped for hours after the explosion.

Nobody has claimed the bombing so far. The attack was the deadliest in the province this year."""

TWO_PLACES_STORY = """A bomb exploded in the town of Velmora on Monday.

Later that day, the blast in the town of Dunmore killed a guard."""


ACCIDENT_STORY = """A cooking gas cylinder exploded in a two-storey house in Marlow on Sunday, injuring three people.

The blast, which happened shortly before noon, brought down part of the roof.

Fire officers said the explosion was being treated as an accident."""


def _attacks(nlp: Language, compiled: CompiledRuleSet, text: str) -> list[Event]:
    return [e for e in extract(nlp, compiled, [text]).docs[0].events if e.type == "attack"]


def _roles(event: Event) -> dict[str, str]:
    return {role: mention.text for role, mention in event.roles.items()}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Separatist fighters launched a rocket attack on a border checkpoint near Oskar.",
            {"attacker": "Separatist fighters", "weapon": "rocket", "target": "a border checkpoint"},
        ),
        (
            "Turkish airstrikes on the village of Kelmar lasted until dawn.",
            {"attacker": "Turkish", "target": "the village of Kelmar"},
        ),
        (
            "The rebels' drone attack on the refinery caused a large fire.",
            {"attacker": "The rebels", "weapon": "drone", "target": "the refinery"},
        ),
    ],
)
def test_roles_found_by_several_rules_are_fused(
    nlp: Language, compiled: CompiledRuleSet, text: str, expected: dict[str, str]
) -> None:
    (event,) = _attacks(nlp, compiled, text)
    roles = _roles(event)
    assert {role: roles.get(role) for role in expected} == expected, roles


def test_fusion_losers_are_still_counted_as_suppressed(nlp: Language, compiled: CompiledRuleSet) -> None:
    doc = extract(nlp, compiled, ["Separatist fighters launched a rocket attack on a border checkpoint."]).docs[0]
    losers = [s for s in doc.suppressed if s.type == "attack"]
    assert {s.rule_id for s in losers} >= {"attack.noun.on", "attack.noun.weapon"}
    assert any("roles given to the winner: target" in s.reason for s in losers)


def test_a_participle_modifier_is_not_the_trigger_of_its_head(nlp: Language, compiled: CompiledRuleSet) -> None:
    (event,) = _attacks(nlp, compiled, "As winter nears, invading forces bombard towns across the valley.")
    roles = _roles(event)
    assert roles["trigger"] == "bombard"
    assert roles["attacker"] == "invading forces"
    assert roles["target"] == "towns"


@pytest.mark.parametrize(
    ("text", "trigger", "attacker"),
    [
        ("Masked men broke into the clinic at dawn and shot two nurses.", "shot", "Masked men"),
        ("The raiders crossed the river, looted the market and torched the granary.", "torched", "The raiders"),
        # a support verb acts out its attack noun ("opened fire"); a participle continues its clause
        ("Masked men forced the gate of the depot and opened fire on the guards.", "fire", "Masked men"),
        ("Fighters overran the outpost at dawn, firing rockets into the barracks.", "firing", "Fighters"),
        # a past tense after ", then" that the parser leaves unattached
        ("The raiders blew up a culvert under the bridge, then opened fire on the escort.", "fire", "The raiders"),
    ],
)
def test_a_coordinated_attack_verb_shares_the_first_verbs_subject(
    nlp: Language, compiled: CompiledRuleSet, text: str, trigger: str, attacker: str
) -> None:
    events = [e for e in _attacks(nlp, compiled, text) if e.roles["trigger"].text == trigger]
    assert [_roles(e).get("attacker") for e in events] == [attacker]


@pytest.mark.parametrize(
    ("text", "attacker"),
    [
        ("Raiders killed four herders in a dawn raid on the camp.", "Raiders"),
        ("The militia torched 30 homes during an assault on the village.", "The militia"),
        ("The garrison lost nine soldiers in an ambush near the river.", None),
    ],
)
def test_an_attack_noun_under_in_takes_the_subject_of_the_harm_done_by_it(
    nlp: Language, compiled: CompiledRuleSet, text: str, attacker: str | None
) -> None:
    nouns = [e for e in _attacks(nlp, compiled, text) if e.roles["trigger"].text in {"raid", "assault", "ambush"}]
    assert [_roles(e).get("attacker") for e in nouns] == [attacker]


def test_an_airstrike_on_a_market_is_no_figure_of_speech(nlp: Language, compiled: CompiledRuleSet) -> None:
    (event,) = _attacks(nlp, compiled, "Nine people died in an airstrike on the market in Sheva.")
    assert _roles(event).get("target") == "the market"


def test_a_heard_attack_noun_takes_no_subject_as_attacker(nlp: Language, compiled: CompiledRuleSet) -> None:
    events = _attacks(nlp, compiled, "The guard woke at midnight and heard gunfire near the depot.")
    assert all("attacker" not in e.roles for e in events)


def test_a_passive_conjunct_shares_no_attacker(nlp: Language, compiled: CompiledRuleSet) -> None:
    events = _attacks(nlp, compiled, "The patrol left the base and was ambushed near the ford.")
    assert events and all("attacker" not in e.roles for e in events)


def test_killing_participle_takes_the_clause_subject_as_perpetrator(nlp: Language, compiled: CompiledRuleSet) -> None:
    events = extract(nlp, compiled, ["Gunmen opened fire on a market in Orlen, killing nine traders."]).docs[0].events
    (casualty,) = [e for e in events if e.type == "casualty"]
    assert casualty.roles["perpetrator"].text == "Gunmen"


def test_a_denied_attacker_is_no_attacker(nlp: Language, compiled: CompiledRuleSet) -> None:
    (event,) = _attacks(nlp, compiled, "No group has claimed the bombing of the ferry terminal.")
    assert "attacker" not in event.roles
    assert event.text.startswith("bombing")


def test_bare_re_mentions_point_at_the_event_that_introduced_the_bombing(
    nlp: Language, compiled: CompiledRuleSet
) -> None:
    events = extract(nlp, compiled, [BOMBING_STORY]).docs[0].events
    attacks = [(i, e) for i, e in enumerate(events) if e.type == "attack"]
    first_index, first = attacks[0]
    assert first.roles["weapon"].text == "A car bomb" and first.coreferent_of is None
    linked = {e.roles["trigger"].text: e.coreferent_of for _, e in attacks[1:]}
    assert linked["explosion"] == first_index
    assert linked["bombing"] == first_index
    assert linked["attack"] == first_index
    assert linked["blast"] is None  # "the blast shattered windows" carries a role of its own
    assert all(events[i].coreferent_of is None for i in linked.values() if i is not None)


def test_a_definite_mention_in_another_place_is_another_event(nlp: Language, compiled: CompiledRuleSet) -> None:
    attacks = _attacks(nlp, compiled, TWO_PLACES_STORY)
    assert [e.roles["location"].text for e in attacks] == ["Velmora", "Dunmore"]
    assert [e.coreferent_of for e in attacks] == [None, None]


def test_re_mentions_index_the_type_filtered_list(nlp: Language, compiled: CompiledRuleSet) -> None:
    events = extract(nlp, compiled, [BOMBING_STORY], types=frozenset({"attack"})).docs[0].events
    assert {e.type for e in events} == {"attack"}
    assert [e.coreferent_of for e in events if e.coreferent_of is not None] == [0, 0, 0]


def test_the_first_bare_mention_of_a_story_refers_to_nothing(nlp: Language, compiled: CompiledRuleSet) -> None:
    text = "The bombing shocked the town.\n\nResidents gathered in the square after the attack."
    attacks = _attacks(nlp, compiled, text)
    assert [e.coreferent_of for e in attacks] == [None, 0]


def test_re_mentions_of_an_accident_are_no_attacks(nlp: Language, compiled: CompiledRuleSet) -> None:
    doc = extract(nlp, compiled, [ACCIDENT_STORY]).docs[0]
    assert [e for e in doc.events if e.type == "attack"] == []
    dropped = [s for s in doc.suppressed if s.winner == "coreference"]
    assert {ACCIDENT_STORY[s.start : s.end].split()[0] for s in dropped} >= {"blast"}
    assert all(s.reason.startswith("re-mentions a non-event") for s in dropped)


def test_a_re_mention_after_a_real_attack_stays_an_attack(nlp: Language, compiled: CompiledRuleSet) -> None:
    # the nearest earlier introducing mention decides: the bombing, not the accident before it
    text = ACCIDENT_STORY + "\n\nOn Monday a car bomb exploded outside the town hall.\n\nThe blast shook the square."
    attacks = _attacks(nlp, compiled, text)
    assert [e.roles["trigger"].text for e in attacks][:1] == ["exploded"]
    assert len(attacks) >= 2 and attacks[1].roles["trigger"].text == "blast"


def test_a_claim_of_the_attack_re_mentions_it(nlp: Language, compiled: CompiledRuleSet) -> None:
    """ "X claimed the attack" names who did what was told before; another named doer does not."""
    text = "A suicide bomber struck a checkpoint near Tarsa on Sunday. The Sable Front claimed the attack."
    assert [e.coreferent_of for e in _attacks(nlp, compiled, text)] == [None, 0]
    text = "The Sable Front attacked the post near Tarsa. The Ember Brigade claimed the attack."
    assert [e.coreferent_of for e in _attacks(nlp, compiled, text)] == [None, None]


@pytest.fixture(scope="module")
def stub(server: RunningServer) -> Iterator[pbg.ExtractionServiceStub]:
    with server.channel() as channel:
        yield pbg.ExtractionServiceStub(channel)


def test_coreferent_of_and_drop_coreferent_through_the_server(stub: pbg.ExtractionServiceStub) -> None:
    document = pb.Document(id="story", text=BOMBING_STORY)
    full = stub.Extract(pb.ExtractRequest(document=document))
    ids = {e.id for e in full.events}
    re_mentions = [e for e in full.events if e.coreferent_of]
    assert len(re_mentions) == 3
    assert all(e.coreferent_of in ids and e.type == pb.EVENT_TYPE_ATTACK for e in re_mentions)
    assert {e.coreferent_of for e in re_mentions} == {"story:0"}

    dropped = stub.Extract(pb.ExtractRequest(document=document, drop_coreferent=True))
    assert [e.id for e in dropped.events] == [e.id for e in full.events if not e.coreferent_of]
    assert "story:0" in {e.id for e in dropped.events}

    attacks_only = stub.Extract(
        pb.ExtractRequest(document=document, event_types=[pb.EVENT_TYPE_ATTACK], drop_coreferent=True)
    )
    assert [e.type for e in attacks_only.events] == [pb.EVENT_TYPE_ATTACK] * 2
    assert [e.attack.trigger.text for e in attacks_only.events] == ["exploded", "blast"]


@pytest.mark.parametrize(
    ("text", "kind", "place"),
    [
        # the parser hangs the place on the victims, not on the verb
        ("Drone strike kills Turkish colonel in Idlib", "casualty", "Idlib"),
        # a `where` clause describes the place it modifies
        ("The car bomb went off outside a hotel in Lisbon, where two guards were wounded.", "casualty", "Lisbon"),
        ("Residents fled the old market in Kandahar, where the shelling began at dawn.", "attack", "Kandahar"),
        # deeper in the clause, on a phrase of the target; a named place before a common one
        (
            "Gunmen attacked a bus carrying pilgrims on the road in Reasi district on Sunday.",
            "attack",
            "Reasi district",
        ),
        # a "when" clause tells how the deaths came about, and where
        ("Seven people were killed when a bomber blew himself up at a checkpoint in Lakki.", "casualty", "Lakki"),
        # a place noun with the place it belongs to, whatever the model tags the owner
        ("A gunman opened fire on a crowd in Dorrance's east side on Sunday.", "attack", "Dorrance's east side"),
        ("Arsonists torched shops in Kalipur's Sonadanga upazila.", "attack", "Kalipur's Sonadanga upazila"),
        # a one-word name the model tags no place after near/at; a named place that is struck
        ("Insurgents ambushed a supply boat near Kolofata, killing four soldiers.", "attack", "Kolofata"),
        ("Artillery units shelled Dnipro overnight.", "attack", "Dnipro"),
        # a place noun whose owner the model tags a firm, or is itself a place noun
        ("Gunmen ambushed a bus carrying traders in northern Mali's Kidal region.", "attack", "Mali's Kidal region"),
        (
            "Mortar rounds fell on a camp in the capital's southern suburbs, wounding nine people.",
            "casualty",
            "the capital's southern suburbs",
        ),
        # a place on a verb coordinated with the trigger, or on the verb a participle goes on with
        ("A boy was stabbed and robbed outside a cinema in Ruiru's market area.", "attack", "Ruiru's market area"),
        ("Militants raided a farm in Kwara's Ifelodun district, killing six workers.", "casualty", "Ifelodun district"),
        # a place noun named by proper nouns the model tags as anything; a "while" clause tells where
        ("A bomber blew himself up outside a bank in the Karan district.", "attack", "Karan district"),
        ("A trader was shot and wounded while closing his shop in Mbare district.", "attack", "Mbare district"),
        # names the small model tags as people or firms after in/at/near: towns it does not know
        ("Jets struck a depot in Wadi Sahran overnight, the army said.", "attack", "Wadi Sahran"),
        ("Militants attacked an army post at Kolamba, killing three soldiers.", "attack", "Kolamba"),
        ("A sticky bomb struck a minibus in Qala-e-Naw, wounding four people.", "attack", "Qala-e-Naw"),
        # the proper nouns of a long area name, however the parser chains them
        ("Bandits stormed a village in the Marwa Local Government Area, killing nine.", "attack", "Marwa Local"),
        # the scene a "when" clause breaks into: "opened fire" acts its noun out in that clause
        (
            "The patrol was searching farms in Kelvaro district when about 20 rebels opened fire on it.",
            "attack",
            "Kelvaro district",
        ),
        # the whole "X's Y district", not the owner's name alone (the model ends it on "'s")
        (
            "Eight pilgrims were killed in a crush at a fair in Madhya Pradesh's Koral district on Sunday.",
            "casualty",
            "Madhya Pradesh's Koral district",
        ),
        # a region that frames the sentence gives way to the spot inside it
        ("In Velmora Oblast, drones struck a depot in the village of Dunlo, injuring two.", "attack", "Dunlo"),
        ("In Velmora Oblast, drones struck a depot in the village of Dunlo, injuring two.", "casualty", "Dunlo"),
        # a casualty of the attack's clause takes the attack's place
        ("Armed men stormed Dunvale village in Orsk province, killing eleven residents.", "casualty", "Orsk"),
        ("An assault on an army outpost near Tallava left nine soldiers dead.", "casualty", "Tallava"),
        # the scene of the verb a subjectless coordinated act goes on from; a compass point's "of"
        (
            "Two men boarded a bus at a stop in Korvale, drew pistols and fired at the passengers.",
            "attack",
            "Korvale",
        ),
        ("Hours later, a jet bombed a village south of Myawaddy, killing three civilians.", "attack", "Myawaddy"),
        ("Armed men boarded a tanker at anchor off the port of Velmara and opened fire.", "attack", "Velmara"),
        # a struck place the model tags a person or a people: the place noun's name, a name after "on"
        ("Gunmen stormed the hillside community of Morne Lazare, killing six people.", "attack", "Morne Lazare"),
        ("Aircraft dropped three guided bombs on Beryslav overnight.", "attack", "Beryslav"),
        # an unlabelled name inside the struck phrase, after a coordinated target
        ("Raiders set fire to a clinic and two shops in Unguwar Rimi.", "attack", "Unguwar Rimi"),
        # a river or a region gives way to the town named after it
        ("Gunmen fired on a ferry on the Volta River near Yeji on Tuesday.", "attack", "Yeji"),
        (
            "A man stabbed two shoppers at a market in Vimmerby, a small town in southern Sweden.",
            "attack",
            "Vimmerby",
        ),
        # a road between two places is the stretch, not one of its ends
        (
            "Gunmen ambushed a bus on the highway between Jowhar and Balcad.",
            "attack",
            "the highway between Jowhar and Balcad",
        ),
    ],
)
def test_locations_the_parser_hangs_away_from_the_trigger(
    nlp: Language, compiled: CompiledRuleSet, text: str, kind: str, place: str
) -> None:
    events = [e for e in extract(nlp, compiled, [text]).docs[0].events if e.type == kind]
    assert events, f"no {kind} event in {text!r}"
    assert place in events[0].roles["location"].text


@pytest.mark.parametrize(
    ("text", "placeless"),
    [
        # two reports under two speech verbs are told apart
        ("Police said the raid in Harwick was over and officials said two people were hurt.", "two people"),
        # where the wounded were treated is not where the incident was
        ("A second guard died in the city hospital on Monday, raising the death toll to three.", "toll"),
        # a person after "at" is no place, nor a firm after "at"
        ("A man opened fire at Jonas Reuter and at Wexcorp, wounding two people.", "wounding"),
    ],
)
def test_no_place_is_lent_across_reports_from_a_hospital_or_taken_from_a_person(
    nlp: Language, compiled: CompiledRuleSet, text: str, placeless: str
) -> None:
    events = extract(nlp, compiled, [text]).docs[0].events
    casualties = [e for e in events if e.type == "casualty" and placeless in e.text]
    assert casualties, f"no casualty with {placeless!r} in {text!r}"
    assert all("location" not in e.roles for e in casualties), [e.roles["location"] for e in casualties]


@pytest.mark.parametrize(
    ("text", "attacker"),
    [
        ("Police said four gunmen stormed the chapel on Sunday. They shot the caretaker.", "four gunmen"),
        ("Residents said armed men arrived in the hamlet at dusk. They shot dead three herders.", "armed men"),
        ("Officials said militants raided the post overnight. They burned two trucks, the mayor said.", "militants"),
        # a collective in the singular with its members: "they" are the members' group
        (
            "Witnesses said a gang of youths smashed the shutters of the shop. They beat the owner with sticks.",
            "a gang of youths",
        ),
    ],
)
def test_a_they_who_attacks_goes_on_with_the_group_that_acted_not_the_one_that_spoke(
    nlp: Language, compiled: CompiledRuleSet, text: str, attacker: str
) -> None:
    second = text.index("They")
    later = [e for e in _attacks(nlp, compiled, text) if e.start >= second and "attacker" in e.roles]
    assert later and all(e.roles["attacker"].resolved == attacker for e in later)


@pytest.mark.parametrize(
    ("text", "owner"),
    [
        ("The air force said its jets struck a convoy of fuel trucks near the river.", "The air force"),
        ("Al-Qassam Brigades said its fighters attacked an armoured column east of the town.", "Al-Qassam Brigades"),
        ("The Houthis said their naval forces targeted a tanker in the Gulf of Aden.", "The Houthis"),
        # the subject of the clause a bare "saying" goes on with, with the name it gives itself
        (
            "A little-known group calling itself Liwa al-Fajr claimed the attack, saying its fighters had shelled"
            " the airbase.",
            "A little-known group calling itself Liwa al-Fajr",
        ),
    ],
)
def test_an_attackers_units_resolve_to_the_body_that_sent_them(
    nlp: Language, compiled: CompiledRuleSet, text: str, owner: str
) -> None:
    attackers = [e.roles["attacker"] for e in _attacks(nlp, compiled, text) if "attacker" in e.roles]
    owned = [a for a in attackers if a.text.split()[0] in {"its", "their"}]
    assert owned and owned[0].resolved == owner, attackers


def test_attackers_no_unit_of_anyones_stay_unresolved(nlp: Language, compiled: CompiledRuleSet) -> None:
    text = "Villagers said their attackers arrived on motorcycles and opened fire."
    attackers = [e.roles["attacker"] for e in _attacks(nlp, compiled, text) if "attacker" in e.roles]
    assert attackers and all(not a.resolved or a.resolved == a.text for a in attackers), attackers


def test_a_subordinating_word_is_no_part_of_the_attacker(nlp: Language, compiled: CompiledRuleSet) -> None:
    text = "Two nurses were walking to the clinic when gunmen on a motorcycle opened fire on them."
    attackers = [e.roles["attacker"].text for e in _attacks(nlp, compiled, text) if "attacker" in e.roles]
    assert attackers and all(not a.lower().startswith("when") for a in attackers), attackers


def test_an_agent_that_names_no_one_is_no_attacker(nlp: Language, compiled: CompiledRuleSet) -> None:
    for text in ("The bombing was not claimed by any group.", "The ambush has not been claimed by any faction."):
        attacks = _attacks(nlp, compiled, text)
        assert attacks and all("attacker" not in e.roles for e in attacks), attacks


@pytest.mark.parametrize(
    ("text", "pronoun", "stands_for"),
    [
        # a plural subject before it, not the unit named in its "of" phrase
        ("Troops of the 3rd Rifle Company were clearing a track when insurgents opened fire on them.",
         "them", "Troops of the 3rd Rifle Company"),
        # an object before a place passed by
        ("Bandits stopped a relief lorry near the ford and opened fire on it.", "it", "a relief lorry"),
        # a person the story did not name
        ("A 52-year-old farmer was tending his goats when he was shot in the leg.", "he", "A 52-year-old farmer"),
        # two in the singular, coordinated, are a plural
        ("Gunmen stopped a trader and a driver at the bridge and shot them.", "them", "a trader and a driver"),
    ],
)  # fmt: skip
def test_a_pronoun_target_resolves_to_what_it_stands_for(
    nlp: Language, compiled: CompiledRuleSet, text: str, pronoun: str, stands_for: str
) -> None:
    attacks = [e for e in extract(nlp, compiled, [text]).docs[0].events if e.type == "attack"]
    targets = [(e.roles["target"].text, e.roles["target"].resolved) for e in attacks if "target" in e.roles]
    assert (pronoun, stands_for) in targets, attacks


@pytest.mark.parametrize(
    ("text", "pronoun", "stands_for"),
    [
        ("A 63-year-old cyclist was riding home when he was stabbed in the arm.", "he", "A 63-year-old cyclist"),
        ("Bandits stopped two herders near the well. They were shot dead.", "They", "two herders"),
    ],
)
def test_a_pronoun_victim_resolves_to_what_it_stands_for(
    nlp: Language, compiled: CompiledRuleSet, text: str, pronoun: str, stands_for: str
) -> None:
    events = [e for e in extract(nlp, compiled, [text]).docs[0].events if e.type == "casualty"]
    victims = [(e.roles["victims"].text, e.roles["victims"].resolved) for e in events if "victims" in e.roles]
    assert (pronoun, stands_for) in victims, events


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("A suicide bomber blew himself up at a crowded bus depot in the town.", "a crowded bus depot"),
        ("A gunman opened fire inside a packed nightclub before dawn.", "a packed nightclub"),
        ("A device went off outside the main gate of the barracks.", "the main gate of the barracks"),
        # what its munition was planted in or on, before where it went off
        ("A device concealed in a vegetable cart went off outside the mosque.", "a vegetable cart"),
        ("A bomb strapped to a bicycle exploded at the crossroads at dawn.", "a bicycle"),
        # a munition set off under, among or inside something, or as something passed
        ("The bomber set off a device among the mourners at the funeral.", "the mourners"),
        ("Rebels detonated a landmine as an army lorry drove past the checkpoint.", "an army lorry"),
        # what a bare "targeting" participle on the act or its noun names
        ("Warplanes fired several missiles at dawn, targeting a fuel depot near the port.", "a fuel depot"),
        ("Insurgents set off a roadside blast targeting an army truck.", "an army truck"),
    ],
)
def test_an_act_without_an_object_targets_what_it_was_done_at(
    nlp: Language, compiled: CompiledRuleSet, text: str, target: str
) -> None:
    attacks = [e for e in extract(nlp, compiled, [text]).docs[0].events if e.type == "attack"]
    assert [e.roles["target"].text for e in attacks if "target" in e.roles] == [target], attacks


@pytest.mark.parametrize(
    ("text", "weapon"),
    [
        ("Gang members attacked the inmates, using rifles, pistols and explosives.", "rifles"),
        ("Gunmen opened fire on the post with heavy and automatic weapons.", "heavy and automatic weapons"),
        ("The man attacked his neighbour with a hammer in the stairwell.", "a hammer"),
        ("Jets struck two depots near the port with guided bombs.", "guided bombs"),
        ("Insurgents stormed the base from two flanks, firing rocket-propelled grenades.", "rocket-propelled grenades"),
        # a companion is no weapon
        ("Troops raided the village with the help of local guides.", None),
        ("The rebels stormed the town with other fighters.", None),
    ],
)
def test_what_an_act_was_done_with_is_its_weapon(
    nlp: Language, compiled: CompiledRuleSet, text: str, weapon: str | None
) -> None:
    attacks = [e for e in extract(nlp, compiled, [text]).docs[0].events if e.type == "attack"]
    assert attacks, text
    assert {e.roles["weapon"].text if "weapon" in e.roles else None for e in attacks} == {weapon}


def test_a_person_attacked_is_no_place(nlp: Language, compiled: CompiledRuleSet) -> None:
    attacks = _attacks(nlp, compiled, "The rebels launched an attack on Halvorsen near the fence.")
    assert attacks and all("Halvorsen" not in e.roles.get("location", e.roles["trigger"]).text for e in attacks)


def test_a_date_is_no_target(nlp: Language, compiled: CompiledRuleSet) -> None:
    attacks = [
        e for e in extract(nlp, compiled, ["The gunmen opened fire on Monday."]).docs[0].events if e.type == "attack"
    ]
    assert attacks and all("target" not in e.roles for e in attacks), attacks
