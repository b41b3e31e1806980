"""Token tests the rules may name that spaCy's token attributes cannot express.

spaCy's patterns constrain a token and, in a DependencyMatcher, the relations to other matched
tokens, but cannot say that a relation is absent. A death joined to a harm verb ("was wounded
and died") shares the harm verb's subject only when it has none of its own ("Nine were hurt, and
one of them died"); the rules tell the two apart with `_: {sitrep_own_subject: false}`. A munition
that struck something named as the object ("a drone struck a car on the road") hit the car, not
the road: `_: {sitrep_own_object: false}` keeps a rule that takes a preposition's object to the
verbs without one.
"""

from __future__ import annotations

from spacy.tokens import Token

SUBJECT_DEPS = frozenset({"nsubj", "nsubjpass", "csubj", "csubjpass", "expl"})


def own_subject(token: Token) -> bool:
    """Whether the token governs a subject of its own."""
    return any(child.dep_ in SUBJECT_DEPS for child in token.children)


def own_object(token: Token) -> bool:
    """Whether the token governs a direct object of its own."""
    return any(child.dep_ == "dobj" for child in token.children)


def register() -> None:
    """Register the extensions once per process (spaCy's Token extensions are global)."""
    if not Token.has_extension("sitrep_own_subject"):
        Token.set_extension("sitrep_own_subject", getter=own_subject)
    if not Token.has_extension("sitrep_own_object"):
        Token.set_extension("sitrep_own_object", getter=own_object)
