"""Shared fixtures: the real model and the shipped pack compiled for it (once per module that asks),
one real server per test module that asks for it, and a copy of the rules."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from spacy.language import Language

from service.engine.compiled import CompiledRuleSet, compile_rules
from service.engine.pipeline import load_pipeline, model_components
from service.rules.loader import load_rules
from tests.server import ROOT, RunningServer, run_server


@pytest.fixture(scope="module")
def nlp() -> Language:
    """The real pipeline (`en_core_web_sm` from the lock)."""
    return load_pipeline()


@pytest.fixture(scope="module")
def compiled(nlp: Language) -> CompiledRuleSet:
    """The shipped pack (`rules/`), compiled for `nlp`."""
    return compile_rules(load_rules(ROOT / "rules", model_components(nlp)), nlp)


@pytest.fixture(scope="module")
def rules_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the shipped rules that a test may edit."""
    target = tmp_path_factory.mktemp("rules") / "rules"
    shutil.copytree(ROOT / "rules", target)
    return target


@pytest.fixture(scope="module")
def server(rules_copy: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with run_server(rules_copy, log_dir=tmp_path_factory.mktemp("logs")) as running:
        yield running


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tiers: a test not marked `fast` (no model, no server) belongs to the end-to-end tier."""
    for item in items:
        if item.get_closest_marker("fast") is None:
            item.add_marker(pytest.mark.e2e)
