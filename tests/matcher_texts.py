"""Invented documents, parsed once per test process, for the matcher equivalence tests
(`test_depmatch_equivalence.py`, `test_anchored_matcher.py`) and the words their generated
patterns draw from."""

from __future__ import annotations

import functools

from spacy.language import Language
from spacy.tokens import Doc

from service.config import Settings
from service.engine.pipeline import load_pipeline

TEXTS = [
    "Gunmen from the Ravel brigade shelled two villages near Osterby on Monday, and the mayor said "
    "that three farmers were killed. Rescue teams reached the town late in the evening.",
    "The council of Marrowdale denied that its police had fired at the crowd. Witnesses told "
    "reporters that soldiers beat several students and arrested their teacher.",
    "A drone struck a fuel depot outside Kestrel Bay. Nobody was hurt, the port authority said, "
    "but the fire burned for hours while residents fled the old quarter.",
]


@functools.cache
def parsed() -> tuple[Language, list[Doc]]:
    nlp = load_pipeline(Settings().model)
    return nlp, list(nlp.pipe(TEXTS))


def words(attr: str) -> list[str]:
    """Every value of token attribute `attr` in the documents, and one value no document has."""
    _, docs = parsed()
    return [*sorted({getattr(token, attr) for doc in docs for token in doc}), "zorblatt"]
