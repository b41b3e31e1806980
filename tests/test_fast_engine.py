"""Fast tier: the engine's pieces on value tables and hand-built Docs (words, heads, deps, POS and
entities given, no model load, no server): counts, quotes, character offsets, role growth, locations and
negation. All sentences are invented."""

from __future__ import annotations

import pytest
import spacy
from spacy.tokens import Doc, Span

from service.engine.builders import build_event
from service.engine.matching import Candidate
from service.engine.resolve import Grown, is_negated
from service.engine.roles import grow, trim_edges
from service.events.lexicons import EngineLexicons
from service.events.mentions import is_person
from service.events.places import distance
from service.events.quantities import Parsed, parse_quantity
from service.events.quotes import inner, quote_spans
from service.rules.loader import reserved_defaults
from service.rules.schema import RuleSpec

pytestmark = pytest.mark.fast

NLP = spacy.blank("en")


def doc(rows: list[tuple[str, int, str, str]], ents: tuple[tuple[int, int, str], ...] = ()) -> Doc:
    """A parsed Doc from (word, head index, dep, POS) rows; the root is its own head, and a word's
    lemma is its lower case (enough for the verbs these tests use)."""
    words, heads, deps, pos = (list(column) for column in zip(*rows, strict=True))
    built = Doc(
        NLP.vocab, words=words, heads=heads, deps=deps, pos=pos, lemmas=[word.lower() for word in words],
        sent_starts=[True] + [False] * (len(rows) - 1),
    )  # fmt: skip
    built.ents = [Span(built, start, end, label) for start, end, label in ents]
    return built


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14", Parsed(14, 14, "EXACT")),
        ("1,250", Parsed(1250, 1250, "EXACT")),
        ("One hundred and forty-three", Parsed(143, 143, "EXACT")),
        ("1.5 million", Parsed(1_500_000, 1_500_000, "EXACT")),
        ("a dozen", Parsed(12, 12, "EXACT")),
        ("dozens", Parsed(24, None, "APPROXIMATE")),
        ("at least seven", Parsed(7, None, "AT_LEAST")),
        ("between 15 and 25", Parsed(15, 25, "RANGE")),
        ("two or three", Parsed(2, 3, "RANGE")),
        ("the convoy", None),
    ],
)
def test_count_phrases(text: str, expected: Parsed | None) -> None:
    assert parse_quantity(text) == expected


def test_quotes_and_their_content_offsets() -> None:
    text = '“The bridge is gone,” said Mira Tal. Officials added: "We will rebuild it."'
    spans = quote_spans(text)
    assert [text[s:e] for s, e in spans] == ["“The bridge is gone,”", '"We will rebuild it."']
    assert [text[slice(*inner(text, span))] for span in spans] == ["The bridge is gone", "We will rebuild it."]


# "Rebel gunners shelled the old depot in Varna": heads as absolute token indices.
SHELLED = doc(
    [("Rebel", 1, "amod", "ADJ"), ("gunners", 2, "nsubj", "NOUN"), ("shelled", 2, "ROOT", "VERB"),
     ("the", 5, "det", "DET"), ("old", 5, "amod", "ADJ"), ("depot", 2, "dobj", "NOUN"),
     ("in", 5, "prep", "ADP"), ("Varna", 6, "pobj", "PROPN")],
    ents=((7, 8, "GPE"),),
)  # fmt: skip


def test_role_growth_from_one_matched_token() -> None:
    assert grow(SHELLED, (1,), "phrase") == (0, 2)  # Rebel gunners
    assert grow(SHELLED, (2,), "phrase") == (2, 3)  # a verb stays one word
    assert grow(SHELLED, (5,), "subtree") == (3, 8)  # the old depot in Varna
    assert grow(SHELLED, (7,), "entity") == (7, 8)  # a location is its entity
    assert grow(SHELLED, (5,), "token") == (5, 6)


def test_counted_noun_grows_to_its_count() -> None:
    trapped = doc(
        [("More", 2, "amod", "ADJ"), ("than", 2, "quantmod", "ADP"), ("20,000", 3, "nummod", "NUM"),
         ("people", 5, "nsubjpass", "NOUN"), ("are", 5, "auxpass", "AUX"), ("trapped", 5, "ROOT", "VERB")],
    )  # fmt: skip
    assert trapped[slice(*grow(trapped, (3,), "quantity"))].text == "More than 20,000"


def rule(event: str = "attack") -> RuleSpec:
    return RuleSpec("r", event, "", 0.8, 0, "active", "dependency", "f.yaml", 1, ())


def test_character_offsets_of_a_grown_candidate_follow_the_text() -> None:
    candidate = Candidate(rule(), {"trigger": (2,)}, 2, 3)
    grown = Grown(candidate, {"trigger": (2, 3), "target": (3, 8)}, 2, 8)
    start, end = grown.char_span(SHELLED)
    assert SHELLED.text[start:end] == "shelled the old depot in Varna"


def negated(rows: list[tuple[str, int, str, str]], trigger: int, words: EngineLexicons | None = None) -> bool:
    built = doc(rows)
    words = words or EngineLexicons.from_words(reserved_defaults())
    return is_negated(built, Candidate(rule(), {"trigger": (trigger,)}, trigger, trigger + 1), words)


def test_negation_of_the_anchor() -> None:
    assert negated(
        [("Troops", 3, "nsubj", "NOUN"), ("did", 3, "aux", "AUX"), ("not", 3, "neg", "PART"),
         ("shell", 3, "ROOT", "VERB"), ("Orlo", 3, "dobj", "PROPN")], trigger=3,
    )  # fmt: skip
    assert not negated(  # "not only ... but": asserted
        [("Troops", 3, "nsubj", "NOUN"), ("not", 3, "neg", "PART"), ("only", 3, "advmod", "ADV"),
         ("shelled", 3, "ROOT", "VERB"), ("Orlo", 3, "dobj", "PROPN")], trigger=3,
    )  # fmt: skip
    stopped = [("Troops", 3, "nsubj", "NOUN"), ("did", 3, "aux", "AUX"), ("not", 3, "neg", "PART"),
               ("stop", 3, "ROOT", "VERB"), ("shelling", 3, "xcomp", "VERB"), ("Orlo", 4, "dobj", "PROPN")]  # fmt: skip
    assert not negated(stopped, trigger=4)  # a negated verb of stopping asserts the shelling it governs
    no_cessation = {**reserved_defaults(), "cessation_verbs": ["cease"]}  # a pack's own list decides
    assert negated(stopped, trigger=4, words=EngineLexicons.from_words(no_cessation))
    assert not negated(  # "could not reach the besieged town": the town is still besieged
        [("Aid", 3, "nsubj", "NOUN"), ("could", 3, "aux", "AUX"), ("not", 3, "neg", "PART"),
         ("reach", 3, "ROOT", "VERB"), ("the", 6, "det", "DET"), ("besieged", 6, "amod", "VERB"),
         ("town", 3, "dobj", "NOUN")], trigger=5,
    )  # fmt: skip


def located(rows: list[tuple[str, int, str, str]], ents: tuple[tuple[int, int, str], ...], trigger: int) -> str | None:
    """The location the attack builder reports for a bare trigger candidate."""
    built = doc(rows, ents)
    grown = Grown(Candidate(rule(), {"trigger": (trigger,)}, trigger, trigger + 1), {"trigger": (trigger, trigger + 1)},
                  trigger, trigger + 1)  # fmt: skip
    words = EngineLexicons.from_words(reserved_defaults())
    location = build_event(built, grown, 0, trigger, words).roles.get("location")
    return None if location is None else location.text


def test_locations_from_a_locative_preposition_or_the_target() -> None:
    assert located(
        [("Rebels", 1, "nsubj", "NOUN"), ("struck", 1, "ROOT", "VERB"), ("near", 1, "prep", "ADP"),
         ("Varna", 2, "pobj", "PROPN")], ents=((3, 4, "GPE"),), trigger=1,
    ) == "Varna"  # fmt: skip
    assert located(  # a named place that is not where it happened ("with Varna") is no location
        [("Rebels", 1, "nsubj", "NOUN"), ("struck", 1, "ROOT", "VERB"), ("with", 1, "prep", "ADP"),
         ("Varna", 2, "pobj", "PROPN")], ents=((3, 4, "GPE"),), trigger=1,
    ) is None  # fmt: skip
    assert located(  # the trigger's noun governs the place: "the shelling of Orlo in Varna"
        [("the", 1, "det", "DET"), ("shelling", 1, "ROOT", "NOUN"), ("of", 1, "prep", "ADP"),
         ("Orlo", 2, "pobj", "PROPN"), ("in", 1, "prep", "ADP"), ("Varna", 4, "pobj", "PROPN")],
        ents=((3, 4, "PERSON"), (5, 6, "GPE")), trigger=1,
    ) == "Varna"  # fmt: skip


def test_events_of_one_clause_are_near_and_reports_apart() -> None:
    # "Gunmen stormed Orlo, killing nine": the participle is one arc from the attack verb
    stormed = doc(
        [("Gunmen", 1, "nsubj", "NOUN"), ("stormed", 1, "ROOT", "VERB"), ("Orlo", 1, "dobj", "PROPN"),
         (",", 1, "punct", "PUNCT"), ("killing", 1, "advcl", "VERB"), ("nine", 4, "dobj", "NUM")],
    )  # fmt: skip
    assert distance(stormed[1], stormed[4]) == 1
    # "Police said the raid ended and officials said two died": two reports, never near
    reports = doc(
        [("Police", 1, "nsubj", "NOUN"), ("said", 1, "ROOT", "VERB"), ("the", 3, "det", "DET"),
         ("raid", 4, "nsubj", "NOUN"), ("ended", 1, "ccomp", "VERB"), ("and", 1, "cc", "CCONJ"),
         ("officials", 7, "nsubj", "NOUN"), ("said", 1, "conj", "VERB"), ("two", 9, "nsubj", "NUM"),
         ("died", 7, "ccomp", "VERB")],
    )  # fmt: skip
    assert distance(reports[3], reports[9]) is None


def test_a_given_name_the_model_tags_a_place_is_a_person_when_it_speaks() -> None:
    words = EngineLexicons.from_words({**reserved_defaults(), "given_names_female": ["mira", "victoria"]})
    # "Mira Kastel say the road shut": the model's FAC speaks, so a he/she may take her up
    spoke = doc(
        [("Mira", 1, "compound", "PROPN"), ("Kastel", 2, "nsubj", "PROPN"), ("say", 2, "ROOT", "VERB"),
         ("the", 4, "det", "DET"), ("road", 5, "nsubj", "NOUN"), ("shut", 2, "ccomp", "VERB")],
        ents=((0, 2, "FAC"),),
    )  # fmt: skip
    assert is_person(spoke.ents[0], words)
    # "Victoria Falls flooded": a place with a given name that says nothing stays a place
    flooded = doc(
        [("Victoria", 1, "compound", "PROPN"), ("Falls", 2, "nsubj", "PROPN"), ("flooded", 2, "ROOT", "VERB")],
        ents=((0, 2, "LOC"),),
    )  # fmt: skip
    assert not is_person(flooded.ents[0], words)


def test_a_span_never_ends_on_a_preposition_whose_object_lies_outside() -> None:
    # "accused the alliance of the ambush": a role cut before the attack noun keeps "the alliance"
    parsed = doc(
        [
            ("Police", 1, "nsubj", "NOUN"), ("accused", 1, "ROOT", "VERB"), ("the", 3, "det", "DET"),
            ("alliance", 1, "dobj", "NOUN"), ("of", 3, "prep", "ADP"), ("the", 6, "det", "DET"),
            ("ambush", 4, "pobj", "NOUN"), (".", 1, "punct", "PUNCT"),
        ]
    )  # fmt: skip
    assert trim_edges(parsed, 2, 5) == (2, 4)
    assert trim_edges(parsed, 2, 7) == (2, 7)  # its object inside: kept
