"""The engine's dependency matcher finds exactly what spaCy's DependencyMatcher finds, in the same
order, on generated patterns over parsed invented documents: every REL_OP, anchored nodes (ORTH,
LOWER, LEMMA values and IN lists, present in the text or not) and unanchored ones."""

from __future__ import annotations

import functools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spacy.language import Language
from spacy.matcher import DependencyMatcher
from spacy.tokens import Doc

from service.config import Settings
from service.engine.depmatch import BoundedDependencyMatcher, anchor_of
from service.engine.pipeline import load_pipeline

TEXTS = [
    "Gunmen from the Ravel brigade shelled two villages near Osterby on Monday, and the mayor said "
    "that three farmers were killed. Rescue teams reached the town late in the evening.",
    "The council of Marrowdale denied that its police had fired at the crowd. Witnesses told "
    "reporters that soldiers beat several students and arrested their teacher.",
    "A drone struck a fuel depot outside Kestrel Bay. Nobody was hurt, the port authority said, "
    "but the fire burned for hours while residents fled the old quarter.",
]
OPS = [
    "<", ">", "<<", ">>", ".", ".*", ";", ";*", "$+", "$-", "$++", "$--",
    ">+", ">-", ">++", ">--", "<+", "<-", "<++", "<--",
]  # fmt: skip


@functools.cache
def parsed() -> tuple[Language, list[Doc]]:
    nlp = load_pipeline(Settings().model)
    return nlp, list(nlp.pipe(TEXTS))


def _words(attr: str) -> list[str]:
    _, docs = parsed()
    values = {getattr(token, attr) for doc in docs for token in doc}
    return [*sorted(values), "zorblatt"]  # one value no document has


@st.composite
def node_attrs(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["none", "dep", "pos", "lemma", "lower_in", "orth", "lemma_in_pos"]))
    if kind == "none":
        return {}
    if kind == "dep":
        return {"DEP": draw(st.sampled_from(_words("dep_")))}
    if kind == "pos":
        return {"POS": draw(st.sampled_from(_words("pos_")))}
    if kind == "lemma":
        return {"LEMMA": draw(st.sampled_from(_words("lemma_")))}
    if kind == "orth":
        return {"ORTH": draw(st.sampled_from(_words("orth_")))}
    if kind == "lower_in":
        return {"LOWER": {"IN": draw(st.lists(st.sampled_from(_words("lower_")), min_size=1, max_size=4))}}
    lemmas = draw(st.lists(st.sampled_from(_words("lemma_")), min_size=1, max_size=3))
    return {"LEMMA": {"IN": lemmas}, "POS": draw(st.sampled_from(_words("pos_")))}


@st.composite
def pattern(draw: st.DrawFn, first_op: str) -> list[dict[str, Any]]:
    """A pattern of 2-4 nodes whose first link uses `first_op`; later links any REL_OP."""
    size = draw(st.integers(2, 4))
    nodes: list[dict[str, Any]] = [{"RIGHT_ID": "n0", "RIGHT_ATTRS": draw(node_attrs())}]
    for i in range(1, size):
        op = first_op if i == 1 else draw(st.sampled_from(OPS))
        left = draw(st.integers(0, i - 1))
        nodes.append({"LEFT_ID": f"n{left}", "REL_OP": op, "RIGHT_ID": f"n{i}", "RIGHT_ATTRS": draw(node_attrs())})
    return nodes


def _both(patterns: list[list[dict[str, Any]]]) -> tuple[DependencyMatcher, BoundedDependencyMatcher]:
    nlp, _ = parsed()
    reference = DependencyMatcher(nlp.vocab, validate=True)
    bounded = BoundedDependencyMatcher(nlp.vocab, validate=True)
    for i, nodes in enumerate(patterns):
        reference.add(f"rule{i}", [nodes])
        bounded.add(f"rule{i}", [nodes])
    return reference, bounded


@pytest.mark.parametrize("op", OPS)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_same_matches_as_spacy(op: str, data: st.DataObject) -> None:
    patterns = [data.draw(pattern(op)) for _ in range(data.draw(st.integers(1, 3)))]
    reference, bounded = _both(patterns)
    _, docs = parsed()
    for doc in [*docs, docs[0][3:17]]:  # whole documents and a span
        assert bounded(doc) == reference(doc)


def test_a_rule_whose_anchor_is_absent_is_not_tried() -> None:
    _, docs = parsed()
    absent = [{"RIGHT_ID": "v", "RIGHT_ATTRS": {"LEMMA": {"IN": ["zorblatt", "quux"]}}}]
    present = [
        {"RIGHT_ID": "v", "RIGHT_ATTRS": {"LEMMA": "shell"}},
        {"LEFT_ID": "v", "REL_OP": ">", "RIGHT_ID": "a", "RIGHT_ATTRS": {"DEP": "nsubj"}},
    ]
    unanchored = [{"RIGHT_ID": "v", "RIGHT_ATTRS": {"POS": "VERB"}}]
    _, bounded = _both([absent, present, unanchored])
    keys = [bounded.vocab.strings[key] for key in bounded.tried(docs[0])]
    assert keys == ["rule1", "rule2"]
    assert [bounded.vocab.strings[key] for key in bounded.tried(docs[1])] == ["rule2"]


def test_the_anchor_is_the_most_selective_node() -> None:
    nodes = [
        {"RIGHT_ID": "v", "RIGHT_ATTRS": {"LEMMA": {"IN": ["kill", "shoot", "hit"]}}},
        {"LEFT_ID": "v", "REL_OP": ">", "RIGHT_ID": "o", "RIGHT_ATTRS": {"lower": "police", "POS": "NOUN"}},
        {"LEFT_ID": "v", "REL_OP": ">", "RIGHT_ID": "x", "RIGHT_ATTRS": {"LEMMA": {"NOT_IN": ["be"]}}},
    ]
    assert anchor_of(nodes) == ("LOWER", frozenset({"police"}))
    assert anchor_of([{"RIGHT_ID": "v", "RIGHT_ATTRS": {"LEMMA": {"REGEX": "^kill"}}}]) is None
