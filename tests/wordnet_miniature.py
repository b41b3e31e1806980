"""A miniature WordNet for the lexicon generators' tests (the real one is an authoring-time
package; each generator's `--check` compares the shipped lexicon with it), and the generator
scripts loaded as modules."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"


def script(name: str) -> ModuleType:
    """scripts/<name>.py as a module."""
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def write(directory: Path, synsets: list[tuple[str, str]], index: list[tuple[str, int, list[int]]]) -> None:
    """data.noun synsets (offset = byte position, field 2 = lexicographer file, field 5 = the word
    as spelled) and index.noun entries (lemma, SemCor tag count, synset numbers in sense order:
    the first is the main sense)."""
    lines, offsets, position = [], [], len("  1 licence\n")
    for lexfile, word in synsets:
        line = f"{position:08d} {lexfile} n 01 {word} 0 000 | gloss\n"
        offsets.append(position)
        lines.append(line)
        position += len(line.encode())
    (directory / "data.noun").write_text("  1 licence\n" + "".join(lines), encoding="latin-1")
    entries = [
        f"{lemma} n {len(senses)} 1 @ {len(senses)} {tagged} " + " ".join(f"{offsets[i]:08d}" for i in senses)
        for lemma, tagged, senses in index
    ]
    (directory / "index.noun").write_text("  1 licence\n" + "\n".join(entries) + "\n", encoding="latin-1")
