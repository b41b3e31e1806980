"""scripts/gen_animal_lexicon.py applies its criteria (a miniature WordNet: the real one is an
authoring-time package, `--check` compares the shipped lexicon with it)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

pytestmark = pytest.mark.fast
SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "gen_animal_lexicon.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_animal_lexicon", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _miniature(directory: Path) -> None:
    """data.noun synsets (offset = byte position, field 2 = lexicographer file) and index.noun
    entries: lemma pos synset_cnt p_cnt [ptrs] sense_cnt tagsense_cnt offsets (first = main sense)."""
    synsets = [("05", "shark"), ("06", "stock_market"), ("05", "rare_beetle"), ("14", "bear_market")]
    lines, offsets, position = [], [], len("  1 licence\n")
    for lexfile, word in synsets:
        line = f"{position:08d} {lexfile} n 01 {word} 0 000 | gloss\n"
        offsets.append(position)
        lines.append(line)
        position += len(line.encode())
    (directory / "data.noun").write_text("  1 licence\n" + "".join(lines), encoding="latin-1")
    index = [
        f"bear n 2 1 @ 2 3 {offsets[3]:08d} {offsets[0]:08d}",  # main sense a market: out
        f"shark n 1 1 @ 1 4 {offsets[0]:08d}",  # an animal, tagged: in
        f"stock n 1 1 @ 1 9 {offsets[1]:08d}",  # not an animal: out
        f"weevil n 1 1 @ 1 0 {offsets[2]:08d}",  # an animal never tagged in SemCor: out
        f"drone n 1 1 @ 1 2 {offsets[0]:08d}",  # excluded by hand (aircraft in news)
        f"sea_lion n 1 1 @ 1 2 {offsets[0]:08d}",  # multi-word: out
    ]
    (directory / "index.noun").write_text("  1 licence\n" + "\n".join(index) + "\n", encoding="latin-1")


def test_the_generator_applies_its_criteria(tmp_path: Path) -> None:
    _miniature(tmp_path)
    words = _script().animals(tmp_path)
    assert "shark" in words and "virus" in words  # WordNet's animal and an added microbe
    assert not {"bear", "stock", "weevil", "drone", "sea_lion"} & set(words)
