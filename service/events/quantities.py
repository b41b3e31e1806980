"""Normalise count phrases ("four", "One hundred and forty - three", "more than 1,200",
"dozens", "between 15 and 25") to (min, max, qualifier).

Pure text in, so the same code serves the engine (which also asks `phrase_bounds` how far a count
spreads over spaCy's tokens), the example runner and the evaluator. Number words go through
text2num; what it does not read is handled here: digits with commas or decimals and a scale word
("1.5 million"), "a"/"an" for one ("a hundred"), "dozen", vague plurals ("dozens", "tens of
thousands": the smallest value they imply, no upper bound, APPROXIMATE), a leading qualifier
and ranges.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from text_to_num import text2num  # type: ignore[import-untyped]  # ships no type information

_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
_VAGUE = {"dozens": 24, "scores": 40, "tens": 20, "hundreds": 200, "thousands": 2_000,
          "millions": 2_000_000}  # fmt: skip
"""Vague plurals and the smallest value each implies ("dozens" is at least two dozen)."""
_SOME = {"several": 3, "few": 2, "many": 10, "numerous": 10}
"""Quantifiers that make a count only before a scale word ("several hundred", "a few thousand")."""

_QUALIFIERS: tuple[tuple[str, str], ...] = (
    ("no more than", "AT_MOST"), ("not more than", "AT_MOST"), ("at most", "AT_MOST"),
    ("up to", "AT_MOST"), ("as many as", "AT_MOST"), ("just under", "LESS_THAN"),
    ("more than", "MORE_THAN"), ("just over", "MORE_THAN"), ("well over", "MORE_THAN"),
    ("over", "MORE_THAN"), ("above", "MORE_THAN"), ("in excess of", "MORE_THAN"),
    ("upwards of", "MORE_THAN"), ("at least", "AT_LEAST"), ("a minimum of", "AT_LEAST"),
    ("no fewer than", "AT_LEAST"), ("no less than", "AT_LEAST"), ("fewer than", "LESS_THAN"),
    ("less than", "LESS_THAN"), ("under", "LESS_THAN"), ("nearly", "APPROXIMATE"),
    ("almost", "APPROXIMATE"), ("about", "APPROXIMATE"), ("around", "APPROXIMATE"),
    ("approximately", "APPROXIMATE"), ("roughly", "APPROXIMATE"), ("some", "APPROXIMATE"),
    ("an estimated", "APPROXIMATE"), ("estimated", "APPROXIMATE"), ("close to", "APPROXIMATE"),
    ("an approximate", "APPROXIMATE"), ("approximate", "APPROXIMATE"),
)  # fmt: skip
_RANGE_OPEN = frozenset({"between", "from"})
_RANGE_WORDS = frozenset({"-", "to", "or", "and"})
_DIGITS = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")
_HYPHEN_WORDS = re.compile(r"(?<=[a-z])\s*-\s*(?=[a-z])")
MAX_WORDS = 12
"""The longest count phrase `phrase_bounds` considers ("between two hundred and fifty and ...")."""


@dataclass(frozen=True, slots=True)
class Parsed:
    min: int
    max: int | None
    qualifier: str


def _normalise(text: str) -> str:
    """Lower case, one space between words, dashes as " - ", and word-internal hyphens closed
    up: spaCy splits "forty-three" and writers space it ("Sixty - one")."""
    text = re.sub(r"[\u2013\u2014\u2212]", "-", text.replace("\u00a0", " ").lower())
    text = re.sub(r"\s*-\s*", " - ", text)
    text = " ".join(text.split()).strip(" .,;:")
    return _HYPHEN_WORDS.sub("-", text)


def _words(words: list[str]) -> int | None:
    """Number words through text2num; a leading "a"/"an" stands for one ("a hundred")."""
    if words and words[0] in {"a", "an"} and len(words) > 1:
        words = ["one", *words[1:]]
    if any(word.endswith("s") and word[:-1] in _SCALES for word in words) or "tens" in words:
        return None  # text2num reads "hundreds" as 100: a vague plural, handled by `_vague`
    if "and" in words and "hundred" in words[words.index("and") :]:
        return None  # text2num reads "fifty and three hundred" as 5300: not how counts are said
    try:
        return int(text2num(" ".join(words), "en"))
    except ValueError:
        return None


def _scaled(words: list[str]) -> int | None:
    """Digits, optionally followed by scale words: "1,200", "1.5 million", "300 thousand"."""
    if not _DIGITS.match(words[0]) or not all(word in _SCALES for word in words[1:]):
        return None
    value = float(words[0].replace(",", ""))
    for word in words[1:]:
        value *= _SCALES[word]
    return int(value)


def _vague(words: list[str]) -> int | None:
    """ "dozens", "tens of thousands", "several hundred", "a few thousand": the least implied."""
    if words[-1] in {"of", "a"}:
        return None
    head, *scales = [w for w in words if w not in {"of", "a"}]
    if head in _VAGUE:
        value = _VAGUE[head]
    elif head in _SOME and scales:
        value = _SOME[head]
    else:
        return None
    for word in scales:
        scale = _SCALES.get(word) or _SCALES.get(word[:-1])
        if scale is None:
            return None
        value *= scale
    return value


def _dozen(words: list[str]) -> int | None:
    """ "a dozen", "two dozen", "half a dozen": text2num has no dozen."""
    if words[-1] != "dozen":
        return None
    if words[:-1] == ["half", "a"]:
        return 6
    times = (1, False) if words[:-1] in ([], ["a"]) else _value(words[:-1])
    return None if times is None or times[1] else times[0] * 12


_FRACTIONS = {"half": 2, "quarter": 4}


def _fraction(words: list[str]) -> int | None:
    """ "half a million", "a quarter of a million": a part of a scale word (text2num reads "half
    a million" as a million)."""
    if words[:1] == ["a"]:
        words = words[1:]
    if len(words) < 3 or words[0] not in _FRACTIONS or words[-1] not in _SCALES:
        return None
    if words[1:-1] not in (["a"], ["of", "a"]):
        return None
    return _SCALES[words[-1]] // _FRACTIONS[words[0]]


def _value(words: list[str]) -> tuple[int, bool] | None:
    """One count; the flag says it is vague (no upper bound)."""
    if not words:
        return None
    if (vague := _vague(words)) is not None:
        return vague, True
    for read in (_scaled, _dozen, _fraction, _words):
        if (value := read(words)) is not None:
            return value, False
    return None


def _range(words: list[str], opened: bool) -> tuple[int, int] | None:
    """ "15 to 25", "15 - 25", "two or three"; "and" only after "between" (else "one hundred
    and five" would be a range). Every split is tried: "between two hundred and fifty and 300"."""
    for i, word in enumerate(words):
        if word not in _RANGE_WORDS or (word == "and" and not opened):
            continue
        low, high = _value(words[:i]), _value(words[i + 1 :])
        if low and high and not low[1] and not high[1] and low[0] < high[0]:
            return low[0], high[0]
    return None


@functools.lru_cache(maxsize=8192)
def parse_quantity(text: str) -> Parsed | None:
    """Parse a count phrase, or None when the text is not one count phrase. Cached: a pure
    function of the text, asked for every run of words around each count (`phrase_bounds`)."""
    phrase = _normalise(text)
    qualifier = "EXACT"
    for cue, name in _QUALIFIERS:
        if phrase.startswith(cue + " "):
            qualifier, phrase = name, phrase[len(cue) + 1 :]
            break
    words = phrase.split()
    opened = words[0] in _RANGE_OPEN if words else False
    if opened:
        words = words[1:]
    if qualifier in {"EXACT", "APPROXIMATE"} and (bounds := _range(words, opened)):
        return Parsed(*bounds, "RANGE")
    if opened:
        return None
    value = _value(words)
    if value is None:
        return None
    number, vague = value
    if qualifier == "EXACT" and vague:
        qualifier = "APPROXIMATE"
    if qualifier in {"EXACT", "APPROXIMATE"}:
        return Parsed(number, None if vague else number, qualifier)
    if qualifier in {"AT_MOST", "LESS_THAN"}:
        return Parsed(0, number, qualifier)
    return Parsed(number, None, qualifier)


def phrase_bounds(words: Sequence[str], index: int) -> tuple[int, int]:
    """The widest run of `words` around `index` that reads as one count phrase: spaCy splits
    "One hundred and forty - three" into six tokens, and the count is all of them."""
    best = (index, index + 1)
    low, high = max(0, index - MAX_WORDS + 1), min(len(words), index + MAX_WORDS)
    for start in range(low, index + 1):
        for end in range(high, index, -1):
            if end - start <= best[1] - best[0] or end - start > MAX_WORDS:
                continue
            if not (any(c.isalnum() for c in words[start]) and any(c.isalnum() for c in words[end - 1])):
                continue
            if parse_quantity(" ".join(words[start:end])) is not None:
                best = (start, end)
                break
    return best


def count_prefix(words: Sequence[str]) -> int:
    """How many leading `words` are a count phrase ("Dozens" of "Dozens of people", "nearly
    300" of "nearly 300 lives"); 0 when they do not start with one."""
    for end in range(min(len(words), MAX_WORDS), 0, -1):
        if parse_quantity(" ".join(words[:end])) is not None:
            return end
    return 0
