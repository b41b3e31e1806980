"""scripts/gen_person_lexicon.py applies its criteria on a miniature WordNet."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.wordnet_miniature import script, write

pytestmark = pytest.mark.fast


def test_the_generator_applies_its_criteria(tmp_path: Path) -> None:
    synsets = [("18", "geologist"), ("18", "Moses"), ("06", "carrier"), ("18", "carrier"), ("18", "crewman")]
    index = [
        ("geologist", 2, [0]),  # a person, tagged: in
        ("moses", 3, [1]),  # spelled only capitalised: a name, out
        ("carrier", 5, [2, 3]),  # main sense a vehicle: out
        ("crewman", 0, [4]),  # never tagged in SemCor: out (the hand list has it)
        ("player", 9, [0]),  # excluded by hand (sport)
    ]
    write(tmp_path, synsets, index)
    assert script("gen_person_lexicon").person_nouns(tmp_path) == ["geologist"]
