"""Parsed gold documents kept on disk between `sitrep eval` runs.

A Doc depends only on its text and the pipeline that ran, never on the rules, so an author who
edits rules and re-scores a gold file should pay spaCy once, not on every run (PolNeAR train:
~170 s parsing against ~20 s matching). The cache file is a `DocBin` named by a hash of the
model's name and version, the components that ran, the source of the service's own components
that shape the parse (`pipeline`, `paragraphs`, `datelines`) and the texts; anything unreadable or
unwritable is ignored and the documents are parsed as without a cache.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc, DocBin

from service.engine import dateline_nouns, paragraphs, pipeline
from service.events import datelines
from service.rules.cache import cache_dir


def default_dir() -> Path | None:
    """`docs` in the directory the validated-pack cache uses (`service.rules.cache.cache_dir`:
    `$SITREP_CACHE_DIR`, else the XDG cache; never in the repository), or None when it is off."""
    root = cache_dir()
    return None if root is None else root / "docs"


_OWN_PARSING = (paragraphs, datelines, dateline_nouns, pipeline)
"""The service's modules whose code sets tokens, sentence starts or tags of its own (the tokenizer's
title abbreviations, line breaks, datelines, the word after a dateline): a change to them changes
every Doc, so their source is part of the key."""


def cache_key(nlp: Language, disabled: Sequence[str], texts: Sequence[str]) -> str:
    digest = hashlib.sha256()
    for module in _OWN_PARSING:
        digest.update(hashlib.sha256(Path(str(module.__file__)).read_bytes()).digest())
    meta = f"{nlp.meta.get('lang')}_{nlp.meta.get('name')}-{nlp.meta.get('version')}"
    active = [name for name in nlp.pipe_names if name not in disabled]
    digest.update(f"{meta}\0{','.join(active)}\0{len(texts)}\0".encode())
    for text in texts:
        digest.update(hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest())
    return digest.hexdigest()[:32]


def parsed_docs(
    nlp: Language, texts: Sequence[str], disabled: Sequence[str], batch_size: int, directory: Path | None
) -> list[Doc]:
    """The Docs of `texts`, from `directory` when it holds them, else parsed (and stored there)."""
    if directory is None:
        return list(nlp.pipe(texts, disable=list(disabled), batch_size=batch_size))
    path = directory / f"{cache_key(nlp, disabled, texts)}.spacy"
    try:
        docs = list(DocBin().from_disk(path).get_docs(nlp.vocab))
        if [doc.text for doc in docs] == list(texts):
            return docs
    except (OSError, ValueError, KeyError):
        pass  # missing or unreadable: parse again
    docs = list(nlp.pipe(texts, disable=list(disabled), batch_size=batch_size))
    try:
        directory.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        # spaCy's default attributes: everything the engine reads, whitespace included
        DocBin(docs=docs).to_disk(tmp)
        tmp.replace(path)
    except OSError:
        pass  # a read-only home only costs the next run its parse
    return docs
