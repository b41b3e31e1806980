"""A line break ends a sentence (`service.engine.paragraphs`): on a blank pipeline (fast), and
with the real model, where a headline without a full stop used to be parsed into the first
sentence of the story. Every text here is written for the test."""

from __future__ import annotations

import spacy
from spacy.language import Language

from service.engine.compiled import CompiledRuleSet
from service.engine.extractor import extract
from service.engine.paragraphs import PARAGRAPHS
from service.engine.pipeline import load_pipeline

HEADLINED = (
    "Death toll in quarry landslide rises to 14\n"
    "The death toll from the landslide at the Orrin quarry climbed to 14 on Friday, the county said.\n\n"
    "Rescuers were still searching for two drivers."
)


def _blank_paragraphs() -> Language:
    """A blank English pipeline with only the paragraph component: fast, no model."""
    nlp = spacy.blank("en")
    nlp.add_pipe(PARAGRAPHS)
    return nlp


def test_every_line_break_starts_a_sentence_and_stays_with_the_one_it_ends() -> None:
    doc = _blank_paragraphs()("Ferry fares rise\nThe island ferry will cost more\n\nfrom May on")
    assert [sent.text for sent in doc.sents] == [
        "Ferry fares rise\n",
        "The island ferry will cost more\n\n",
        "from May on",
    ]


def test_the_real_pipeline_runs_it_before_the_parser() -> None:
    names = load_pipeline().pipe_names
    assert names.index(PARAGRAPHS) < names.index("parser")


def test_a_headline_is_parsed_apart_from_the_first_sentence(nlp: Language, compiled: CompiledRuleSet) -> None:
    doc = nlp(HEADLINED)
    assert [sent.text.strip() for sent in doc.sents][:2] == [
        "Death toll in quarry landslide rises to 14",
        "The death toll from the landslide at the Orrin quarry climbed to 14 on Friday, the county said.",
    ]
    # the headline's toll and the first sentence's each report their count (merged, the parser
    # made "14" a number of the second "toll" and only one count was found)
    events = extract(nlp, compiled, [HEADLINED]).docs[0].events
    tolls = [(e.start < HEADLINED.index("\n"), e.quantities["count"].min) for e in events if e.type == "casualty"]
    assert tolls == [(True, 14), (False, 14)]


def test_the_network_x_ends_a_sentence_and_an_initial_does_not() -> None:
    doc = _blank_paragraphs()("The ministry said so in a post on X. Two guards were hurt. Ruth X. Moyo spoke.")
    assert [sent.text for sent in doc.sents] == [
        "The ministry said so in a post on X.",
        "Two guards were hurt. Ruth X. Moyo spoke.",
    ]
