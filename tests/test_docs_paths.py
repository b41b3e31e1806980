"""Docs and locks name no path of one machine, and every repository path the docs cite exists.

A lock or a doc that says `/opt/...`, `/work/...`, `/root/...` or `file://...` works on one machine
only. A doc (or a module docstring in service/, scripts/) that cites `service/x.py`, `docs/y.md`,
`rules/*.yaml` or a Markdown link sends its reader to a file that must be there.
"""

from __future__ import annotations

import itertools
import re
import subprocess
from pathlib import Path

import pytest

from tests.server import ROOT

MACHINE_PATH = re.compile(r"(?<![\w.-])(/opt/|/work/|/root/|file://)\S*")
# Committed files only: work in progress is checked once it is committed.
TRACKED = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
# Files whose text must be portable: the locks, the README, every doc and the local stack.
PORTABLE = [
    ROOT / name
    for name in TRACKED
    if re.fullmatch(
        r"requirements.*\.(lock|in)|package(-lock)?\.json|README\.md|docs/.*\.md|clients/.*\.md|compose/.*", name
    )
]
DOCS = [p for p in PORTABLE if p.suffix == ".md"]
SOURCES = [ROOT / name for name in TRACKED if re.fullmatch(r"(service|scripts)/.*\.py", name) and "/proto/" not in name]
TOP_LEVEL = {name.split("/")[0] for name in TRACKED} - {".gitignore"}
CITED_EXTENSIONS = r"md|py|ya?ml|json|toml|lock|txt|sh|proto|jsonl|in"
# service/x.py, rules/*.yaml, k8s/base/ ... with a known top-level directory.
SOURCE_CITATION = re.compile(
    rf"(?<![\w./-])(?:{'|'.join(re.escape(t) for t in sorted(TOP_LEVEL) if '.' not in t)})/[\w./*{{}},-]*"
)
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
CODE = re.compile(r"`([^`\n]+)`")


def _expand(path: str) -> list[str]:
    """Shell brace expansion, one level per group: `dev/{a,b}.jsonl` -> two paths."""
    match = re.search(r"\{([^{}]*)\}", path)
    if not match:
        return [path]
    head, tail = path[: match.start()], path[match.end() :]
    return list(itertools.chain.from_iterable(_expand(head + part + tail) for part in match.group(1).split(",")))


def _exists(path: str, base: Path) -> bool:
    candidate = path.rstrip("/")
    if any(ch in candidate for ch in "*?["):
        return any((base / "x").parent.glob(candidate)) or any(ROOT.glob(candidate))
    return (base / candidate).exists() or (ROOT / candidate).exists()


def _token_paths(token: str) -> list[str]:
    """The repository paths in one whitespace-separated token of code text, if it cites any."""
    token = re.sub(r"(:\d+|:LINE|:COL|:line|:col)+$", "", token.strip(".,;:()'\"[]"))
    if not token or "<" in token or "…" in token or "://" in token or token.startswith(("/", "..", "~", "$")):
        return []
    first = token.split("/")[0]
    if "/" in token and first in TOP_LEVEL:
        return _expand(token)
    if "/" not in token and re.fullmatch(r"[\w.-]+\.md", token):
        return [token]  # a bare document name: README.md, observability.md
    return []


def cited_paths(doc: Path) -> list[str]:
    """Paths a Markdown file cites: link targets and repository paths inside `code` spans/blocks."""
    text = doc.read_text(encoding="utf-8")
    found = []
    for target in LINK.findall(text):
        if not re.match(r"[a-z]+:|#", target):
            found.append(target.split("#")[0])
    code = CODE.findall(text) + re.findall(r"```[^\n]*\n(.*?)```", text, re.S)
    for span in code:
        for token in span.split():
            found += _token_paths(token)
    return [p for p in found if p]


@pytest.mark.parametrize("path", PORTABLE, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_machine_paths(path: Path) -> None:
    hits = [
        f"{path.relative_to(ROOT)}:{n}: {m.group(0)}"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        for m in MACHINE_PATH.finditer(line)
    ]
    assert not hits, "machine paths (use relative paths, or pip's/npm's own configuration):\n" + "\n".join(hits)


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_cited_paths_exist(doc: Path) -> None:
    missing = sorted({p for p in cited_paths(doc) if not _exists(p, doc.parent)})
    assert not missing, f"{doc.relative_to(ROOT)} cites missing paths: {missing}"


def test_sources_cite_existing_paths() -> None:
    missing = []
    for source in SOURCES:
        for match in SOURCE_CITATION.finditer(source.read_text(encoding="utf-8")):
            cited = match.group(0).rstrip(".,")
            if re.search(rf"\.(?:{CITED_EXTENSIONS})$|/$", cited) and not all(_exists(p, ROOT) for p in _expand(cited)):
                missing.append(f"{source.relative_to(ROOT)}: {cited}")
    assert not missing, "\n".join(missing)


def test_the_checks_catch_what_they_should(tmp_path: Path) -> None:
    """The extraction itself: a missing file, a missing link and a glob that matches nothing are caught."""
    doc = tmp_path / "doc.md"
    doc.write_text(
        "See `ARCHITECTURE.md`, `service/engine/nope.py:12`, [the guide](nope.md), `rules/*.nothing`,\n"
        "`service/cli.py`, `rules/*.yaml`, `../shared/data/`, `<registry>/sitrep`, [web](https://x.org).\n"
    )
    missing = {p for p in cited_paths(doc) if not _exists(p, doc.parent)}
    assert missing == {"ARCHITECTURE.md", "service/engine/nope.py", "nope.md", "rules/*.nothing"}
    assert MACHINE_PATH.search("--find-links /opt/wheels") and not MACHINE_PATH.search("COPY x /app/rules")
