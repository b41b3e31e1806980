"""Hard negatives: every sentence of tests/data/hard_negatives.txt must yield no event with the
shipped rules and the real model (accidents, negation and hypotheticals, sports, politics,
business, weather and figurative uses of attack, casualty and siege words).

Statements are out of scope here ("..., the fire chief told reporters" is a real statement), so
only attack, casualty and siege events count. One test over the whole file, so that a failure
lists every offending sentence with the events it produced."""

from __future__ import annotations

from pathlib import Path

from service.engine.compiled import compile_rules
from service.engine.extractor import extract
from service.engine.pipeline import load_pipeline, model_components
from service.rules.loader import load_rules

ROOT = Path(__file__).resolve().parent.parent
SENTENCES = ROOT / "tests" / "data" / "hard_negatives.txt"
EVENT_TYPES = frozenset({"attack", "casualty", "siege"})
MIN_SENTENCES = 60


def _sentences() -> list[str]:
    lines = (line.strip() for line in SENTENCES.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def test_the_file_is_large_enough_and_has_no_duplicates() -> None:
    sentences = _sentences()
    assert len(sentences) >= MIN_SENTENCES, f"{len(sentences)} sentences, at least {MIN_SENTENCES} wanted"
    assert len(set(sentences)) == len(sentences), "duplicate lines"


def test_no_sentence_yields_an_event() -> None:
    nlp = load_pipeline()
    compiled = compile_rules(load_rules(ROOT / "rules", model_components(nlp)), nlp)
    sentences = _sentences()
    result = extract(nlp, compiled, sentences, types=EVENT_TYPES)
    offending = [
        f"{sentence}\n    -> " + "; ".join(f"{e.type} [{e.rule_id}] {e.text!r}" for e in doc.events)
        for sentence, doc in zip(sentences, result.docs, strict=True)
        if doc.events
    ]
    assert not offending, f"{len(offending)} of {len(sentences)} sentences yield events:\n" + "\n".join(offending)
