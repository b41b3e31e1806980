"""The benchmark's documents: the texts of the shared dev sets, a 500-word document, and
unique documents that would grow spaCy's StringStore if strings were not freed."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT.parent / "shared" / "data" / "dev"
DEV_FILES = ("wikievents_dev.jsonl", "rams_dev.jsonl", "polnear_dev.jsonl")
WORD = re.compile(r"\S+")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“])")


@dataclass(frozen=True, slots=True)
class Doc:
    id: str
    text: str


def load_corpus(directory: Path = DEV) -> list[Doc]:
    """Every record's `text` from the dev files, longest first.

    Longest first is the usual way to keep the tail of a run from being one long document on one
    worker while the others idle; the in-process baseline sees the same order.
    """
    docs = []
    for name in DEV_FILES:
        path = directory / name
        for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                docs.append(Doc(f"{path.stem}:{line_no}", json.loads(line)["text"]))
    if not docs:
        raise SystemExit(f"no documents under {directory}")
    return sorted(docs, key=lambda d: len(d.text), reverse=True)


def subset(docs: list[Doc], every: int) -> list[Doc]:
    """Every n-th document: the same mix of sources and lengths, fewer of them."""
    return docs[::every] if every > 1 else list(docs)


def words(text: str) -> int:
    return len(WORD.findall(text))


def document_of_words(docs: list[Doc], count: int = 500) -> str:
    """The first `count` words of the first document (by id) that has that many, cut after the
    last word so the source's line breaks stay; all documents joined if none is long enough."""
    ordered = sorted(docs, key=lambda d: d.id)
    text = next((d.text for d in ordered if words(d.text) >= count), "\n\n".join(d.text for d in ordered))
    matches = list(WORD.finditer(text))
    if len(matches) < count:
        raise ValueError(f"corpus has only {len(matches)} words")
    return text[: matches[count - 1].end()]


def sentences(docs: list[Doc], min_words: int = 6, max_words: int = 60) -> list[str]:
    """Corpus sentences (a regex split: good enough to make realistic short documents)."""
    found = []
    for doc in sorted(docs, key=lambda d: d.id):
        for sentence in SENTENCE_END.split(doc.text):
            sentence = " ".join(sentence.split())
            if min_words <= words(sentence) <= max_words:
                found.append(sentence)
    return found


_SYLLABLES = ("ka", "vor", "mi", "zel", "tru", "dan", "quo", "rix", "bel", "ost", "yan", "gur", "pel", "shi", "nov")


def made_up_word(n: int, parts: int = 3) -> str:
    """A pronounceable word unique to `n` (base-15 digits as syllables, plus the digits)."""
    syllables = []
    for _ in range(parts):
        n, digit = divmod(n, len(_SYLLABLES))
        syllables.append(_SYLLABLES[digit])
    return "".join(syllables).capitalize()


def unique_documents(base: list[str], start: int, count: int) -> Iterator[Doc]:
    """`count` documents, each a corpus sentence plus a sentence of made-up names, places and
    numbers that occur in no other document: about ten never-seen strings per document."""
    for i in range(start, start + count):
        first, last, place = made_up_word(3 * i), made_up_word(3 * i + 1), made_up_word(3 * i + 2)
        tail = (
            f" {first}{i} {last}{i}, a spokesman in {place}ville, said {i * 7 + 3:,} residents of "
            f"{place}{i} left after {i % 97 + 2} strikes on code {i:x}-{i * 31 % 100003} "
            f"({first.lower()}{i}@{place.lower()}{i}.example)."
        )
        yield Doc(f"unique-{i}", base[i % len(base)] + tail)
