"""Generated lexicons in rule files: the scripts that derive word lists from WordNet at authoring
time (scripts/gen_*_lexicon.py) write them between a BEGIN and an END comment line and, with
`--check`, tell whether the file still holds what they would write. The service never runs them."""

from __future__ import annotations

import re
import sys
from pathlib import Path


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
