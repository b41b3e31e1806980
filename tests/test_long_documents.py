"""Event building stays linear in a long document's events.

Every document-level step once compared each event, candidate, quote or pronoun with all the
others: a 21 KB text of 800 attributed quotes took 7 s to build and a 1 MB one would have run
past any deadline. Each case builds the same paragraph repeated n and 4n times (parsed once,
outside the clock) and compares the two times measured in this run: linear work grows about 4
times, quadratic work 16 times; the bound of 10 only tells the two apart."""

from __future__ import annotations

import time

import pytest
from spacy.language import Language

from service.engine.compiled import CompiledRuleSet
from service.engine.extractor import process_doc

PARAGRAPHS = {
    # quotes with their cues, and quotes carried over from them
    "quotes": "“We are staying,” she said. “Nobody will move us.”\n\n“Not this year.”\n\n",
    # attacks and their re-mentions, casualties, bodies as speakers and their pronouns
    "re-mentions": "A bomb exploded in a market in Lyon, the police said. The blast killed 3 people. "
    "It said the attack had been planned.\n\n",
    # persons, surnames and gendered pronouns
    "pronouns": "Mayor Ana Lind met Tom Berg on Monday. Lind said she would stay. Berg said he agreed.\n\n",
}
SMALL = 150


def _build_seconds(nlp: Language, compiled: CompiledRuleSet, text: str) -> tuple[float, int]:
    doc = nlp(text)
    started = time.perf_counter()
    events = process_doc(doc, compiled).events
    return time.perf_counter() - started, len(events)


@pytest.mark.parametrize("kind", sorted(PARAGRAPHS))
def test_building_grows_linearly_with_the_document(nlp: Language, compiled: CompiledRuleSet, kind: str) -> None:
    paragraph = PARAGRAPHS[kind]
    small, small_events = _build_seconds(nlp, compiled, paragraph * SMALL)
    large, large_events = _build_seconds(nlp, compiled, paragraph * 4 * SMALL)
    assert small_events >= SMALL and large_events == 4 * small_events  # every copy yields its events
    assert large < 10 * small + 0.5, f"{kind}: {small:.2f} s for {SMALL} paragraphs, {large:.2f} s for {4 * SMALL}"
