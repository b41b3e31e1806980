"""Which pipeline components a rule needs, from the token attributes it reads.

This is what lets the engine prune the pipeline: a pack of LOWER/LIKE_NUM patterns runs on the
tokenizer alone, a DEP pattern pulls in the parser, LEMMA the tagger and lemmatizer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from service.rules.schema import Expansion

ATTR_COMPONENTS: dict[str, tuple[str, ...]] = {
    "POS": ("tagger", "attribute_ruler"),
    "TAG": ("tagger", "attribute_ruler"),
    "MORPH": ("tagger", "attribute_ruler"),
    "LEMMA": ("tagger", "attribute_ruler", "lemmatizer"),
    "DEP": ("parser",),
    "HEAD": ("parser",),
    "SENT_START": ("parser",),
    "IS_SENT_START": ("parser",),
    "ENT_TYPE": ("ner",),
    "ENT_IOB": ("ner",),
    "ENT_ID": ("ner",),
    "ENT_KB_ID": ("ner",),
}
"""Token attributes that a statistical component sets; the rest come from the tokenizer."""


@dataclass(frozen=True, slots=True)
class ModelComponents:
    """What a model offers rules: its components, and its name for the messages that lack one."""

    model: str
    components: frozenset[str]


EXPANSION_ATTRS: dict[Expansion, tuple[str, ...]] = {
    "token": (),
    "quantity": (),
    "entity": ("ENT_TYPE",),
    "phrase": ("DEP", "ENT_TYPE"),
    "subtree": ("DEP",),
    "conjuncts": ("DEP",),
}
"""What growing a role span reads: phrases follow the parse and stop at entity edges."""


def components_for(attrs: Iterable[str]) -> set[str]:
    """Component names that produce `attrs` (before listeners such as tok2vec are added)."""
    return {name for attr in attrs for name in ATTR_COMPONENTS.get(attr, ())}


def pattern_attrs(token_pattern: dict[str, object]) -> set[str]:
    """The attributes one token pattern (or RIGHT_ATTRS) reads; `_` extensions are ignored."""
    return {key.upper() for key in token_pattern if key not in {"OP", "_", "as"}}
