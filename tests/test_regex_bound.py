"""A rule's REGEX is tested only on tokens of bounded length, in token and dependency patterns.

Python's `re.search` is quadratic on a long token even for harmless-looking patterns (`\\w*x`), so
the compiled rule set moves each REGEX into a length-guarded token extension
(service/engine/regex.py). These tests pin the behaviour: short tokens match as before, tokens
over the bound never match, other predicates on the same attribute still apply.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from spacy.language import Language

from service.engine.compiled import compile_rules
from service.engine.extractor import extract
from service.engine.pipeline import load_pipeline, model_components
from service.engine.regex import MAX_TOKEN_CHARS
from service.rules.loader import load_rules

RULES = """\
version: 1
rules:
  - id: attack.codename
    event: attack
    pattern:
      - {LOWER: {REGEX: '^operation\\w*x$', NOT_IN: [operationx]}, as: trigger}
  - id: siege.blockade_of
    event: siege
    dependency:
      - {RIGHT_ID: trigger, RIGHT_ATTRS: {LOWER: {REGEX: '^blockad\\w*'}}}
      - {LEFT_ID: trigger, REL_OP: ">", RIGHT_ID: _of, RIGHT_ATTRS: {LOWER: of}}
      - {LEFT_ID: _of, REL_OP: ">", RIGHT_ID: location, RIGHT_ATTRS: {DEP: pobj}}
"""


@pytest.fixture(scope="module")
def nlp() -> Iterator[Language]:
    yield load_pipeline()


def _rule_ids(nlp: Language, tmp_path: Path, text: str) -> list[str]:
    (tmp_path / "r.yaml").write_text(RULES, encoding="utf-8")
    compiled = compile_rules(load_rules(tmp_path, model_components(nlp)), nlp)
    [doc] = extract(nlp, compiled, [text]).docs
    return [event.rule_id for event in doc.events]


def test_regex_matches_short_tokens(nlp: Language, tmp_path: Path) -> None:
    assert _rule_ids(nlp, tmp_path, "They launched operationfox at dawn.") == ["attack.codename"]
    assert _rule_ids(nlp, tmp_path, "The blockade of Gaza continued.") == ["siege.blockade_of"]


def test_other_predicates_on_the_regex_attribute_still_apply(nlp: Language, tmp_path: Path) -> None:
    assert _rule_ids(nlp, tmp_path, "They launched operationx at dawn.") == []


def test_tokens_over_the_bound_never_match_a_regex(nlp: Language, tmp_path: Path) -> None:
    at_bound = "operation" + "a" * (MAX_TOKEN_CHARS - len("operationx")) + "x"
    over = "operation" + "a" * (MAX_TOKEN_CHARS - len("operationx") + 1) + "x"
    assert _rule_ids(nlp, tmp_path, f"They launched {at_bound} at dawn.") == ["attack.codename"]
    assert _rule_ids(nlp, tmp_path, f"They launched {over} at dawn.") == []
