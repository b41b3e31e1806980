"""What the benchmark's pruning figures rely on, checked end to end (no timing here: speed is
measured by `make bench`, see docs/performance.md).

A hot reload from the token-only pack (bench/rules_token_only) to a pack that needs the parser
switches the components the workers run, and back: GetRuleSet reports the new plan, and the
results show it (dependency matches appear only when the parser ran; sentence indexes still
come from the sentencizer when the parser is pruned).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import spacy

from bench.corpus import unique_documents
from service.proto.sitrep.v1 import extraction_pb2 as pb
from service.proto.sitrep.v1 import extraction_pb2_grpc as pbg
from tests.server import ROOT, RunningServer, run_server

TOKEN_ONLY = ROOT / "bench" / "rules_token_only"
PARSER_PACK = ROOT / "tests" / "data" / "rules" / "basic.yaml"
TEXT = "Russian forces bombarded the outskirts of Kyiv. Later 12 soldiers were wounded."
STATISTICAL = {"tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "ner"}


def _rule_set(server: RunningServer) -> pb.GetRuleSetResponse:
    with server.channel() as channel:
        reply: pb.GetRuleSetResponse = pbg.ExtractionServiceStub(channel).GetRuleSet(pb.GetRuleSetRequest())
        return reply


def _events(server: RunningServer) -> list[tuple[str, int]]:
    with server.channel() as channel:
        reply = pbg.ExtractionServiceStub(channel).Extract(pb.ExtractRequest(document=pb.Document(text=TEXT)))
    return [(e.rule_id, e.sentence_index) for e in reply.events]


def _wait(check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.time() + timeout
    while not check():
        if time.time() > deadline:
            raise AssertionError(f"not within {timeout}s")
        time.sleep(0.2)


def _swap(rules: Path, source: Path) -> None:
    """Replace the pack's only file with one rename (hidden names are not read as rules)."""
    (rules / ".next.yaml").write_text(source.read_text())
    (rules / ".next.yaml").replace(rules / "pack.yaml")


def _rule_ids(server: RunningServer) -> set[str]:
    return {r.id for r in _rule_set(server).rules}


def test_reload_between_token_only_and_parser_packs_switches_components(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    shutil.copy(TOKEN_ONLY / "token_only.yaml", rules / "pack.yaml")
    token_ids = _rule_ids_of(TOKEN_ONLY / "token_only.yaml")
    with run_server(rules, "--poll-interval", "0.5", log_dir=tmp_path) as server:
        pruned = _rule_set(server).pipeline
        assert list(pruned.active_components) == ["sitrep_sentencizer", "sitrep_paragraphs"]
        assert set(pruned.disabled_components) == STATISTICAL | {"sitrep_dateline_nouns"}
        assert _events(server) == [("token.casualty.count_victims_kind", 1)]

        _swap(rules, PARSER_PACK)
        _wait(lambda: _rule_ids(server) == {"attack.subject_verb_object", "casualty.count_passive"})
        full = _rule_set(server).pipeline
        assert {"tok2vec", "tagger", "parser", "lemmatizer", "ner"} <= set(full.active_components)
        assert list(full.disabled_components) == ["sitrep_sentencizer"]
        assert sorted(_events(server)) == [("attack.subject_verb_object", 0), ("casualty.count_passive", 1)]

        _swap(rules, TOKEN_ONLY / "token_only.yaml")
        _wait(lambda: _rule_ids(server) == token_ids)
        assert list(_rule_set(server).pipeline.active_components) == ["sitrep_sentencizer", "sitrep_paragraphs"]
        assert _events(server) == [("token.casualty.count_victims_kind", 1)]


def _rule_ids_of(path: Path) -> set[str]:
    return {
        line.split("id:", 1)[1].strip() for line in path.read_text().splitlines() if line.strip().startswith("- id:")
    }


@pytest.mark.parametrize("start", [0, 5_000_000])
def test_unique_documents_would_grow_the_string_store(start: int) -> None:
    """The memory figure is only meaningful if each document brings new strings (~10)."""
    nlp = spacy.blank("en")
    base = ["Shelling resumed in the east on Monday.", "Four Russian soldiers were injured."]
    for doc in nlp.pipe(d.text for d in unique_documents(base, start, 100)):
        assert doc  # warm the tokenizer and the vocab with the template's words
    before = len(nlp.vocab.strings)
    texts = [d.text for d in unique_documents(base, start + 100, 1_000)]
    assert len(set(texts)) == len(texts)
    for doc in nlp.pipe(texts):
        assert doc
    assert len(nlp.vocab.strings) - before >= 8 * len(texts)
