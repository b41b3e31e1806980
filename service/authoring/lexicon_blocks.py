"""Generated lexicons in rule files: the scripts that derive word lists from WordNet at authoring
time (scripts/gen_*_lexicon.py) write them between a BEGIN and an END comment line and, with
`--check`, tell whether the file still holds what they would write. The service never runs them."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path

NOUN_ANIMAL = 5
NOUN_PERSON = 18


def render(name: str, words: list[str], comment: str = "", width: int = 100) -> str:
    """`name: [words]` as a rule file's `lexicons:` entry, wrapped under `width` columns."""
    lines, line = [f"  {name}:" + (f"  # {comment}" if comment else "")], "    ["
    for word in words:
        piece = word + ", "
        if len(line) + len(piece) > width:
            lines.append(line.rstrip())
            line = "     "
        line += piece
    lines.append(line.rstrip(", ") + "]")
    return "\n".join(lines) + "\n"


def update(path: Path, begin: str, end: str, body: str, check: bool) -> int:
    """Put `body` between the `begin` and `end` lines of `path` (each given with its newline), or
    with `check` only compare. Exit codes: 0 written or up to date, 1 out of date, 2 no block."""
    text = path.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.DOTALL)
    if not pattern.search(text):
        print(f"{path}: no generated block", file=sys.stderr)
        return 2
    updated = pattern.sub(lambda _: begin + body + end, text)
    if check:
        print("up to date" if updated == text else "out of date")
        return 0 if updated == text else 1
    path.write_text(updated, encoding="utf-8")
    return 0


def main_sense_nouns(wordnet: Path, lexfile: int, common_only: bool = False) -> set[str]:
    """One-word nouns whose most frequent sense (the first synset of the index entry: WordNet
    orders them by SemCor frequency) is in lexicographer file `lexfile` and which SemCor tags at
    least once (`tagsense_cnt` > 0: rare words stay out). `common_only` leaves out the nouns
    whose first synset spells them capitalised (names: "Hitler", "Moses")."""
    data = (wordnet / "data.noun").read_bytes()
    words: set[str] = set()
    for line in (wordnet / "index.noun").read_text(encoding="latin-1").splitlines():
        if line.startswith(" "):
            continue  # licence header
        fields = line.split()
        lemma, pointers = fields[0], int(fields[3])
        tagged, first_offset = int(fields[5 + pointers]), int(fields[6 + pointers])
        if "_" in lemma or "-" in lemma or not lemma.isalpha() or len(lemma) < 3 or tagged == 0:
            continue
        synset = data[first_offset : data.index(b"\n", first_offset)].decode("latin-1").split()
        if int(synset[1]) != lexfile:
            continue
        spelled = [synset[4 + 2 * i] for i in range(int(synset[3], 16))]
        if common_only and not any(word == lemma for word in spelled):
            continue  # only a capitalised spelling: a name
        words.add(lemma)
    return words


def generate(
    argv: list[str] | None, description: str, name: str, words: Callable[[Path], list[str]], rules: Path, script: str
) -> int:
    """The command line of a lexicon generator: write the lexicon `name` that `words` derives
    from a WordNet directory into the generated block of `rules`, or with `--check` compare."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--wordnet", type=Path, default=Path("/usr/share/wordnet"), help="WordNet 3.0 dict directory")
    parser.add_argument("--check", action="store_true", help="fail if the rule file is not up to date")
    args = parser.parse_args(argv)
    body = render(name, words(args.wordnet), comment=f"see {script}")
    begin, end = f"  # BEGIN generated {name}\n", f"  # END generated {name}\n"
    return update(rules, begin, end, body, args.check)
