"""scripts/gen_animal_lexicon.py applies its criteria on a miniature WordNet."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.wordnet_miniature import script, write

pytestmark = pytest.mark.fast


def test_the_generator_applies_its_criteria(tmp_path: Path) -> None:
    synsets = [("05", "shark"), ("06", "stock_market"), ("05", "rare_beetle"), ("14", "bear_market")]
    index = [
        ("bear", 3, [3, 0]),  # main sense a market: out
        ("shark", 4, [0]),  # an animal, tagged: in
        ("stock", 9, [1]),  # not an animal: out
        ("weevil", 0, [2]),  # an animal never tagged in SemCor: out
        ("drone", 2, [0]),  # excluded by hand (aircraft in news)
        ("sea_lion", 2, [0]),  # multi-word: out
    ]
    write(tmp_path, synsets, index)
    words = script("gen_animal_lexicon").animals(tmp_path)
    assert "shark" in words and "virus" in words  # WordNet's animal and an added microbe
    assert not {"bear", "stock", "weevil", "drone", "sea_lion"} & set(words)
