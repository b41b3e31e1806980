"""The engine's token matcher (`AnchoredMatcher`: only the rules whose anchors occur run) finds
exactly what spaCy's `Matcher` with the whole pack finds, in the same order, alignments included,
on generated packs (anchored and unanchored tokens, `IN` lists, every `OP`, greedy filters) over
parsed invented documents."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spacy.matcher import Matcher

from service.engine.anchored import AnchoredMatcher
from tests.matcher_texts import parsed, words


@st.composite
def token(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["none", "lower", "lemma_in", "orth", "pos", "lower_in_pos", "not_in"]))
    spec: dict[str, Any] = {}
    if kind == "lower":
        spec["LOWER"] = draw(st.sampled_from(words("lower_")))
    elif kind == "lemma_in":
        spec["LEMMA"] = {"IN": draw(st.lists(st.sampled_from(words("lemma_")), min_size=1, max_size=4))}
    elif kind == "orth":
        spec["ORTH"] = draw(st.sampled_from(words("orth_")))
    elif kind == "pos":
        spec["POS"] = draw(st.sampled_from(words("pos_")))
    elif kind == "lower_in_pos":
        spec["LOWER"] = {"IN": draw(st.lists(st.sampled_from(words("lower_")), min_size=1, max_size=3))}
        spec["POS"] = draw(st.sampled_from(words("pos_")))
    elif kind == "not_in":
        spec["LEMMA"] = {"NOT_IN": draw(st.lists(st.sampled_from(words("lemma_")), max_size=3))}
    op = draw(st.sampled_from([None, None, None, "?", "*", "+", "!"]))
    if op is not None:
        spec["OP"] = op
    return spec


@st.composite
def pack(draw: st.DrawFn) -> list[tuple[list[list[dict[str, Any]]], str | None]]:
    rules = []
    for _ in range(draw(st.integers(1, 6))):
        patterns = draw(st.lists(st.lists(token(), min_size=1, max_size=3), min_size=1, max_size=2))
        rules.append((patterns, draw(st.sampled_from([None, None, "FIRST", "LONGEST"]))))
    return rules


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rules=pack())
def test_same_matches_as_spacys_matcher(rules: list[tuple[list[list[dict[str, Any]]], str | None]]) -> None:
    nlp, docs = parsed()
    reference = Matcher(nlp.vocab, validate=False)
    anchored = AnchoredMatcher(nlp.vocab, validate=False)
    for i, (patterns, greedy) in enumerate(rules):
        try:
            reference.add(f"rule{i}", patterns, greedy=greedy)
        except ValueError:  # a pattern spaCy refuses (all tokens negated): refused by both
            with pytest.raises(ValueError):
                anchored.add(f"rule{i}", patterns, greedy=greedy)
            continue
        anchored.add(f"rule{i}", patterns, greedy=greedy)
    for doc in docs:
        assert anchored(doc, with_alignments=True) == reference(doc, with_alignments=True)
        assert anchored(doc) == reference(doc)
    span = docs[0][3:17]
    assert anchored(span) == reference(span)


def test_only_rules_whose_anchors_occur_run() -> None:
    nlp, docs = parsed()
    anchored = AnchoredMatcher(nlp.vocab, validate=False)
    anchored.add("absent", [[{"LOWER": "zorblatt"}, {"POS": "NOUN"}]])
    anchored.add("present", [[{"LEMMA": {"IN": ["shell", "quux"]}}, {"POS": "NUM"}]])
    anchored.add("negated", [[{"LOWER": "zorblatt", "OP": "!"}, {"LOWER": "villages"}]])
    anchored.add("unanchored", [[{"POS": "PROPN"}]])
    names = {nlp.vocab.strings[key] for key in anchored.candidates(docs[0])}
    assert names == {"present", "negated", "unanchored"}
    assert {nlp.vocab.strings[key] for key in anchored.candidates(docs[1])} == {"unanchored"}
    anchored(docs[1])
    assert anchored.tried == 1


def test_a_missing_annotation_is_refused_as_spacy_refuses_it() -> None:
    nlp, _ = parsed()
    doc = nlp.make_doc("Rebels shelled towns")  # no POS
    anchored = AnchoredMatcher(nlp.vocab, validate=False)
    anchored.add("pos", [[{"LOWER": "zorblatt"}, {"POS": "NOUN"}]])
    with pytest.raises(ValueError, match="E155"):
        anchored(doc)
