"""Normalise count phrases ("four", "more than 100,000", "dozens", "between 10 and 20").

Pure text in, (min, max, qualifier) out, so the same code serves the engine, the example runner and
the evaluator. Vague plurals ("dozens", "hundreds") get the smallest value they imply and no
upper bound, qualified APPROXIMATE.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_UNITS = {
    "zero": 0, "one": 1, "a": 1, "an": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
_SCALES = {
    "dozen": 12,
    "hundred": 100,
    "thousand": 1_000,
    "million": 1_000_000,
    "billion": 1_000_000_000,
}
_VAGUE = {"dozens": 24, "scores": 40, "hundreds": 200, "thousands": 2_000, "millions": 2_000_000,
          "several": 3, "few": 2, "many": 10, "numerous": 10, "tens": 20}  # fmt: skip

_QUALIFIERS: tuple[tuple[str, str], ...] = (
    ("no more than", "AT_MOST"), ("not more than", "AT_MOST"), ("at most", "AT_MOST"),
    ("up to", "AT_MOST"), ("as many as", "AT_MOST"), ("more than", "MORE_THAN"),
    ("over", "MORE_THAN"), ("above", "MORE_THAN"), ("in excess of", "MORE_THAN"),
    ("upwards of", "MORE_THAN"), ("at least", "AT_LEAST"), ("a minimum of", "AT_LEAST"),
    ("no fewer than", "AT_LEAST"), ("no less than", "AT_LEAST"), ("fewer than", "LESS_THAN"),
    ("less than", "LESS_THAN"), ("under", "LESS_THAN"), ("nearly", "APPROXIMATE"),
    ("almost", "APPROXIMATE"), ("about", "APPROXIMATE"), ("around", "APPROXIMATE"),
    ("approximately", "APPROXIMATE"), ("roughly", "APPROXIMATE"), ("some", "APPROXIMATE"),
    ("an estimated", "APPROXIMATE"), ("estimated", "APPROXIMATE"), ("close to", "APPROXIMATE"),
)  # fmt: skip
_RANGE = re.compile(r"^(?:between\s+)?(.+?)\s*(?:-|–|—|\bto\b|\band\b|\bor\b)\s*(.+)$")
_NUMBER = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$|^\d+(?:\.\d+)?$")


@dataclass(frozen=True, slots=True)
class Parsed:
    min: int
    max: int | None
    qualifier: str


def _words_to_int(words: list[str]) -> tuple[int, bool] | None:
    """Digits or number words to an int; the flag says the value is vague (approximate)."""
    total, current, seen, vague = 0, 0, False, False
    for raw in words:
        word = raw.lower().strip(",")
        if word in {"and", "of"}:
            continue
        if _NUMBER.match(word):
            current += int(float(word.replace(",", "")))
        elif word in _UNITS:
            current += _UNITS[word]
        elif word in _SCALES:
            current = max(current, 1) * _SCALES[word]
            if _SCALES[word] >= 1000:
                total, current = total + current, 0
        elif word in _VAGUE:
            # "tens of thousands": a vague plural after a count scales it like its singular.
            singular = _SCALES.get(word[:-1])
            current = current * singular if current and singular else current or _VAGUE[word]
            vague = True
        elif "-" in word and all(part in _UNITS for part in word.split("-")):
            current += sum(_UNITS[part] for part in word.split("-"))
        else:
            return None
        seen = True
    return (total + current, vague) if seen else None


def parse_quantity(text: str) -> Parsed | None:
    """Parse a count phrase, or None when the text holds no count."""
    phrase = " ".join(text.replace("\u00a0", " ").split()).strip(" .,;:")
    lowered = phrase.lower()
    qualifier = "EXACT"
    for cue, name in _QUALIFIERS:
        if lowered.startswith(cue + " "):
            qualifier, lowered = name, lowered[len(cue) + 1 :]
            break
    range_match = _RANGE.match(lowered)
    if range_match and qualifier == "EXACT":
        low = _words_to_int(range_match.group(1).split())
        high = _words_to_int(range_match.group(2).split())
        if low and high and low[0] < high[0]:
            return Parsed(low[0], high[0], "RANGE")
    value = _words_to_int(lowered.replace("-", " - ").replace(" - ", "-").split())
    if value is None:
        return None
    number, vague = value
    if vague and qualifier == "EXACT":
        return Parsed(number, None, "APPROXIMATE")
    if qualifier in {"EXACT", "APPROXIMATE"}:
        return Parsed(number, None if vague else number, qualifier)
    if qualifier in {"AT_MOST", "LESS_THAN"}:
        return Parsed(0, number, qualifier)
    return Parsed(number, None, qualifier)
