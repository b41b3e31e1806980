"""The first word after a dateline: a common noun when it names no one.

After "KANO, Nigeria, May 2 (Reuters) -" the tagger reads the capitalised first word of the story
as a proper noun ("Gunmen" NNP, lemma "gunmen"), so no lexicon of attackers knew it and "Gunmen
killed 22 worshippers" lost its attack while the same sentence without a dateline kept it. When
the entity recogniser names nothing there and the model's lemmatizer knows the word as a noun,
the word gets the common noun's tag, part of speech and lemma. A name keeps its tag: the
recogniser marks it, or a second capitalised word follows ("Mark Hollis said").
"""

from __future__ import annotations

from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from service.events.datelines import dateline_ranges

DATELINE_NOUNS = "sitrep_dateline_nouns"


class DatelineNouns:
    """Retag the first word of each datelined sentence (see the module docstring)."""

    def __init__(self, nlp: Language) -> None:
        lookups: Any = getattr(nlp.get_pipe("lemmatizer"), "lookups", None) if "lemmatizer" in nlp.pipe_names else None
        tables = ("lemma_index", "lemma_exc", "lemma_rules")
        known = lookups is not None and all(lookups.has_table(table) for table in tables)
        self._nouns: Any = lookups.get_table("lemma_index").get("noun", {}) if known else {}
        self._irregular: Any = lookups.get_table("lemma_exc").get("noun", {}) if known else {}
        self._suffixes: list[tuple[str, str]] = list(lookups.get_table("lemma_rules").get("noun", [])) if known else []

    def __call__(self, doc: Doc) -> Doc:
        if not self._nouns:
            return doc
        for _, end in dateline_ranges(doc):
            if end < len(doc) and _unnamed_title(doc, end) and (lemma := self._noun_lemma(doc[end].lower_)):
                token = doc[end]
                token.tag_, token.pos_, token.lemma_ = ("NN" if lemma == token.lower_ else "NNS"), "NOUN", lemma
        return doc

    def _noun_lemma(self, word: str) -> str | None:
        """The lemma the model's lemmatizer gives `word` as a noun, if it knows the noun."""
        if word in self._irregular:
            return str(self._irregular[word][0])
        if word in self._nouns:
            return word
        for old, new in self._suffixes:
            if word.endswith(old) and (lemma := word[: len(word) - len(old)] + new) in self._nouns:
                return lemma
        return None


def _unnamed_title(doc: Doc, i: int) -> bool:
    """A capitalised word tagged as a name that the recogniser did not name, with no second
    capitalised word after it."""
    token = doc[i]
    if token.tag_ not in {"NNP", "NNPS"} or token.ent_type_ or not token.is_title:
        return False
    return i + 1 >= len(doc) or not doc[i + 1].is_title


@Language.factory(DATELINE_NOUNS)
def make_dateline_nouns(nlp: Language, name: str) -> DatelineNouns:
    """spaCy's factory hook: the component needs the model's own lemmatizer."""
    del name
    return DatelineNouns(nlp)
