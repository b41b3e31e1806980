"""Property-based: the loader never crashes on any file, the engine never raises on any text."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spacy.language import Language

from service.engine.compiled import CompiledRuleSet, compile_rules
from service.engine.extractor import extract
from service.engine.pipeline import model_components
from service.events.registry import BUILTIN
from service.rules.errors import RuleSetError
from service.rules.loader import load_rules

RULES = Path(__file__).parent / "data" / "rules"

scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=8))
token = st.dictionaries(
    st.sampled_from(["LOWER", "LEMMA", "POS", "DEP", "OP", "as", "LIKE_NUM", "FOO", "TEXT"]),
    st.one_of(
        scalars,
        st.dictionaries(st.sampled_from(["IN", "REGEX", "NOT_IN"]), st.one_of(scalars, st.lists(scalars, max_size=3))),
    ),
    max_size=3,
)
rule = st.fixed_dictionaries(
    {"id": st.text(min_size=1, max_size=6), "event": st.sampled_from([*BUILTIN, "war"])},
    optional={
        "pattern": st.lists(token, max_size=4),
        "phrases": st.lists(st.text(max_size=10), max_size=3),
        "dependency": st.lists(st.dictionaries(st.sampled_from(["RIGHT_ID", "LEFT_ID", "REL_OP", "RIGHT_ATTRS"]), scalars), max_size=3),
        "priority": scalars, "status": st.sampled_from(["active", "shadow", "x"]), "expand": st.dictionaries(st.text(max_size=5), scalars),
        "examples": st.lists(st.fixed_dictionaries({"text": st.text(max_size=20), "expect": st.lists(st.dictionaries(st.text(max_size=5), scalars), max_size=2)}), max_size=2),
    },
)  # fmt: skip
rule_file = st.fixed_dictionaries(
    {"version": st.sampled_from([1, 1, 2, "1"])},
    optional={"rules": st.lists(rule, max_size=3), "lexicons": st.dictionaries(st.text(max_size=5), st.lists(st.text(max_size=5), max_size=3))},
)  # fmt: skip


@pytest.fixture(scope="module")
def compiled(nlp: Language) -> Iterator[CompiledRuleSet]:
    yield compile_rules(load_rules(RULES, model_components(nlp)), nlp)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(rule_file.map(lambda d: yaml.safe_dump(d, allow_unicode=True)), st.text(max_size=200)))
def test_loader_accepts_or_reports(nlp: Language, data: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "r.yaml").write_text(data)
        try:
            spec = load_rules(tmp, model_components(nlp))
        except RuleSetError as exc:
            assert exc.errors and all(e.file.endswith("r.yaml") and e.line >= 1 and e.col >= 1 for e in exc.errors)
        else:
            compile_rules(spec, nlp)  # whatever validates must compile


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(st.text(max_size=300), min_size=1, max_size=4))
def test_engine_never_raises(nlp: Language, compiled: CompiledRuleSet, texts: list[str]) -> None:
    result = extract(nlp, compiled, texts)
    assert len(result.docs) == len(texts)
    for text, doc in zip(texts, result.docs, strict=True):
        for event in doc.events:
            assert text[event.start : event.end] == event.text
            for mention in event.roles.values():
                assert text[mention.start : mention.end] == mention.text
