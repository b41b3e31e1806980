"""The shipped pack's document contexts on the real model: in a match report or a review, the
words of attacks and killings are play or fiction; the same sentence in a news story is an
event. Invented texts, none from the gold data."""

from __future__ import annotations

from spacy.language import Language

from service.authoring.explain import explain
from service.engine.compiled import CompiledRuleSet
from service.engine.extractor import extract

SENTENCE = "In the second half the visitors attacked the stadium, and it was a massacre."
MATCH_REPORT = (
    "The striker scored twice before halftime and the goalkeeper saved a penalty. "
    + SENTENCE
    + " The referee sent off a winger in stoppage time."
)
NEWS = "Police said gunmen stormed the village overnight. " + SENTENCE
REVIEW = (
    "The film opens in 1944. In its best scene, a platoon is ambushed and a village is shelled, "
    "and the villain kills a young soldier; the screenplay never recovers, and the thriller "
    "ends with a whimper."
)


def _violence(nlp: Language, compiled: CompiledRuleSet, text: str) -> list[tuple[str, str]]:
    doc = extract(nlp, compiled, [text], types=frozenset({"attack", "casualty"})).docs[0]
    return [(e.type, e.text) for e in doc.events]


def test_play_words_make_a_match_report_where_attacks_are_play(nlp: Language, compiled: CompiledRuleSet) -> None:
    assert _violence(nlp, compiled, MATCH_REPORT) == []
    found = _violence(nlp, compiled, NEWS)
    assert any(kind == "attack" and "attacked" in text for kind, text in found), found


def test_fiction_in_a_review_is_no_event(nlp: Language, compiled: CompiledRuleSet) -> None:
    assert _violence(nlp, compiled, REVIEW) == []
    plain = REVIEW.replace("The film opens in 1944. In its best scene, a", "A").split(";")[0] + "."
    assert _violence(nlp, compiled, plain), plain


GAME_REVIEW = (
    "The new turn-based strategy title puts you in charge of a rifle company in 1916. Shells "
    "hammer your trench before the first move, and two of your men are killed by the end of the "
    "turn. The tutorial is thin, but the console edition runs well."
)


def test_a_video_game_review_is_fiction(nlp: Language, compiled: CompiledRuleSet) -> None:
    assert _violence(nlp, compiled, GAME_REVIEW) == []
    plain = "Shells hammered the trench at dawn, and two men were killed by the end of the day."
    assert _violence(nlp, compiled, plain), plain


def test_explain_says_how_far_a_document_is_from_a_context(nlp: Language, compiled: CompiledRuleSet) -> None:
    misses = {m.rule_id: m for m in explain(nlp, compiled, NEWS).near_misses}
    miss = misses["attack.not.sports_report"]
    assert (miss.node, miss.constraint) == ("context", "context sports_report")
    assert miss.message == "context sports_report: the document holds 0 of the 2 words it needs"
    assert "attack.not.sports_report" not in {m.rule_id for m in explain(nlp, compiled, MATCH_REPORT).near_misses}
