"""Document contexts in the rule language (`contexts:` and a rule's `context:`): how a pack
declares them, the errors a wrong declaration gets, and which documents are in one. Hand-built
Docs and rule files only (no model)."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy

from service.engine.contexts import context_words, present
from service.rules.errors import RuleSetError
from service.rules.loader import load_rules
from service.rules.schema import DocContext

pytestmark = pytest.mark.fast

PACK = """\
version: 1
contexts:
  match_report:
    lexicon: play_words
    min_words: 2
    per_tokens: 10
lexicons:
  play_words: [Striker, halftime, referee]
rules:
  - id: attack.not.in_match_report
    event: attack
    veto: true
    context: match_report
    pattern:
      - {LOWER: attacked, as: trigger}
"""


def _doc(words: list[str], lemmas: list[str]) -> spacy.tokens.Doc:
    return spacy.tokens.Doc(spacy.blank("en").vocab, words=words, lemmas=lemmas)


def test_a_declared_context_reaches_the_spec_with_its_words_lower_cased(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text(PACK)
    spec = load_rules(tmp_path)
    assert spec.contexts == (DocContext("match_report", frozenset({"striker", "halftime", "referee"}), 2, 10),)
    assert [rule.context for rule in spec.rules] == ["match_report"]
    assert not any("play_words" in str(w) for w in spec.warnings), "a context's lexicon is in use (no W101)"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            PACK.replace("lexicon: play_words", "lexicon: nope"),
            "r.yaml:4:5: [R217] context 'match_report': lexicon 'nope' is not defined",
        ),
        (
            PACK.replace("context: match_report", "context: recital"),
            "rule attack.not.in_match_report: [R217] context 'recital'",
        ),
        (PACK.replace("min_words: 2", "min_words: 0"), "[R103] contexts.match_report.min_words"),
    ],
)
def test_a_wrong_context_is_an_error_at_its_place(tmp_path: Path, text: str, expected: str) -> None:
    (tmp_path / "r.yaml").write_text(text)
    with pytest.raises(RuleSetError) as info:
        load_rules(tmp_path)
    messages = [str(e).removeprefix(f"{tmp_path}/") for e in info.value.errors]
    assert len(messages) == 1, messages
    assert expected in messages[0]


def test_a_context_needs_its_words_once_each_and_more_in_a_long_text() -> None:
    context = DocContext("match_report", frozenset({"striker", "referee", "three-pointers"}), 2, 10)
    inflected = _doc(["Strikers", "and", "a", "striker"], ["striker", "and", "a", "striker"])
    assert context_words(inflected, context) == {"striker"}
    assert present(inflected, [context]) == frozenset(), "one word, however often, is one"
    short = _doc(
        ["the", "referee", "and", "three-pointers", "striker"], ["the", "referee", "and", "three-pointers", "striker"]
    )
    assert present(short, [context]) == {"match_report"}
    long = _doc([*short.text.split(), *["word"] * 25], [*[t.lemma_ for t in short], *["word"] * 25])
    assert context.needs(len(long)) == 3
    assert present(long, [context]) == {"match_report"}
    longer = _doc([*long.text.split(), *["word"] * 10], [*[t.lemma_ for t in long], *["word"] * 10])
    assert context.needs(len(longer)) == 4
    assert present(longer, [context]) == frozenset(), "three words in forty tokens are too few"


def test_a_word_the_tokenizer_splits_at_its_hyphens_counts_whole() -> None:
    """ "semi-final" and "hat-trick" are three tokens each; the context still finds them, and a
    hyphen with spaces around it ("won - or") joins nothing."""
    context = DocContext("match_report", frozenset({"semi-final", "hat-trick", "won-or"}), 2, 10)
    doc = spacy.blank("en")("His hat-trick won the semi-final - or so they say.")
    assert context_words(doc, context) == {"semi-final", "hat-trick"}
    assert present(doc, [context]) == {"match_report"}
