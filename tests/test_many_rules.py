"""bench.many_rules: the generated pack is valid (it loads and compiles like any pack), has the
asked number of rules in its three shapes, and its rules fire on text holding their anchors."""

from __future__ import annotations

from pathlib import Path

import yaml
from spacy.language import Language

from bench.many_rules import generate
from service.engine.compiled import compile_rules
from service.engine.extractor import extract
from service.engine.pipeline import model_components
from service.rules.loader import load_rules

LEXICON = ["shell", "bridge", "village", "convoy", "storm"]


def test_generated_pack_loads_compiles_and_fires(nlp: Language, tmp_path: Path) -> None:
    pack = generate(60, LEXICON)
    assert len({r["id"] for r in pack["rules"]}) == 60
    assert {("pattern" in r, "dependency" in r) for r in pack["rules"]} == {(True, False), (False, True)}
    (tmp_path / "generated.yaml").write_text(yaml.safe_dump(pack, sort_keys=False), encoding="utf-8")
    compiled = compile_rules(load_rules(tmp_path, model_components(nlp)), nlp)
    assert len(compiled.spec.runnable) == 60
    result = extract(nlp, compiled, ["Gunners shelled the old bridge near the village of Oskar."])
    fired = {e.rule_id for e in result.docs[0].events} | set(result.docs[0].hits)
    assert fired and fired <= {r["id"] for r in pack["rules"]}
    assert generate(60, LEXICON) == pack  # seeded: the same pack every run
