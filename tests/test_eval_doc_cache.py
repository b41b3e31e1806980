"""`sitrep eval`'s cache of parsed gold documents: same events as parsing, reused, never fatal."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from spacy.language import Language

from service.authoring.evaluation import doccache
from service.authoring.evaluation.doccache import cache_key, default_dir, parsed_docs
from service.engine.compiled import CompiledRuleSet
from service.engine.extractor import extract, process_doc

TEXTS = [
    "Two soldiers were killed and five wounded when a roadside bomb exploded near Kandahar on Monday.",
    "“We will not leave,” the mayor said. “The city stands.”\n\nRebels shelled the port overnight.",
    "Officials said   the  toll rose to 40 — with spaces, tabs\tand an emoji 🙂 kept.",
]


def _events(nlp: Language, compiled: CompiledRuleSet, directory: Path | None) -> list[list[str]]:
    docs = parsed_docs(nlp, TEXTS, compiled.plan.disabled, 8, directory)
    assert [doc.text for doc in docs] == TEXTS
    return [[repr(e) for e in process_doc(doc, compiled).events] for doc in docs]


def test_cached_docs_give_the_events_of_a_fresh_parse(nlp: Language, compiled: CompiledRuleSet, tmp_path: Path) -> None:
    fresh = [[repr(e) for e in d.events] for d in extract(nlp, compiled, TEXTS).docs]
    assert any(fresh), "the texts must produce events for the comparison to mean something"
    first = _events(nlp, compiled, tmp_path)  # parses and stores
    stored = tmp_path / f"{cache_key(nlp, compiled.plan.disabled, TEXTS)}.spacy"
    assert stored.is_file()
    mtime = stored.stat().st_mtime_ns
    second = _events(nlp, compiled, tmp_path)  # reads
    assert stored.stat().st_mtime_ns == mtime
    assert first == fresh and second == fresh


def test_the_key_changes_with_texts_and_components(nlp: Language) -> None:
    assert cache_key(nlp, (), TEXTS) != cache_key(nlp, (), TEXTS[:2])
    assert cache_key(nlp, (), TEXTS) != cache_key(nlp, ("ner",), TEXTS)
    assert cache_key(nlp, (), TEXTS) == cache_key(nlp, (), list(TEXTS))


def test_the_key_changes_with_the_code_that_sets_sentence_starts(
    nlp: Language, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cached Doc parsed before a change to `paragraphs` or `datelines` is stale: the key
    holds their source."""
    source = tmp_path / "paragraphs.py"
    source.write_text("# one version\n")
    monkeypatch.setattr(doccache, "_OWN_PARSING", (SimpleNamespace(__file__=str(source)),))
    before = cache_key(nlp, (), TEXTS)
    source.write_text("# another version\n")
    assert cache_key(nlp, (), TEXTS) != before


def test_a_corrupt_cache_file_is_parsed_again_and_rewritten(
    nlp: Language, compiled: CompiledRuleSet, tmp_path: Path
) -> None:
    stored = tmp_path / f"{cache_key(nlp, compiled.plan.disabled, TEXTS)}.spacy"
    stored.write_bytes(b"not a DocBin")
    fresh = [[repr(e) for e in d.events] for d in extract(nlp, compiled, TEXTS).docs]
    assert _events(nlp, compiled, tmp_path) == fresh
    assert stored.read_bytes() != b"not a DocBin"


def test_an_unwritable_cache_directory_only_costs_the_parse(
    nlp: Language, compiled: CompiledRuleSet, tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the directory should be")
    fresh = [[repr(e) for e in d.events] for d in extract(nlp, compiled, TEXTS).docs]
    assert _events(nlp, compiled, blocker / "docs") == fresh


def test_the_parses_live_beside_the_pack_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SITREP_CACHE_DIR", str(tmp_path))
    assert default_dir() == tmp_path / "docs"
    monkeypatch.setenv("SITREP_CACHE_DIR", "")  # turns the pack cache off, and this one with it
    assert default_dir() is None
