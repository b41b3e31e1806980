"""scripts/gen_person_lexicon.py applies its criteria (a miniature WordNet: the real one is an
authoring-time package, `--check` compares the shipped lexicon with it)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

pytestmark = pytest.mark.fast
SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "gen_person_lexicon.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_person_lexicon", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _miniature(directory: Path) -> None:
    """data.noun synsets (offset = byte position, field 2 = lexicographer file, field 5 = the word
    as spelled) and index.noun entries: lemma pos synset_cnt p_cnt [ptrs] sense_cnt tagsense_cnt
    offsets (first = main sense)."""
    synsets = [("18", "geologist"), ("18", "Moses"), ("06", "carrier"), ("18", "carrier"), ("18", "crewman")]
    lines, offsets, position = [], [], len("  1 licence\n")
    for lexfile, word in synsets:
        line = f"{position:08d} {lexfile} n 01 {word} 0 000 | gloss\n"
        offsets.append(position)
        lines.append(line)
        position += len(line.encode())
    (directory / "data.noun").write_text("  1 licence\n" + "".join(lines), encoding="latin-1")
    index = [
        f"geologist n 1 1 @ 1 2 {offsets[0]:08d}",  # a person, tagged: in
        f"moses n 1 1 @ 1 3 {offsets[1]:08d}",  # spelled only capitalised: a name, out
        f"carrier n 2 1 @ 2 5 {offsets[2]:08d} {offsets[3]:08d}",  # main sense a vehicle: out
        f"crewman n 1 1 @ 1 0 {offsets[4]:08d}",  # never tagged in SemCor: out (the hand list has it)
        f"player n 1 1 @ 1 9 {offsets[0]:08d}",  # excluded by hand (sport)
    ]
    (directory / "index.noun").write_text("  1 licence\n" + "\n".join(index) + "\n", encoding="latin-1")


def test_the_generator_applies_its_criteria(tmp_path: Path) -> None:
    _miniature(tmp_path)
    assert _script().person_nouns(tmp_path) == ["geologist"]
