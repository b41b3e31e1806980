"""`sitrep eval`: precision, recall and F1 of a rule pack against gold data.

`main` is what the CLI calls; `python -m service.authoring.evaluation` runs it standalone.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from spacy.language import Language

from service.authoring.evaluation.dump import write_dump
from service.authoring.evaluation.gold import GoldFormatError, read_gold
from service.authoring.evaluation.report import diff_report, json_report, text_report
from service.authoring.evaluation.run import evaluate, sample
from service.engine.pipeline import DEFAULT_MODEL, load_pipeline
from service.rules.errors import RuleSetError

__all__ = ["main"]


def main(
    gold: Path, rules: Path, baseline: Path | None = None, model: str = DEFAULT_MODEL,
    *, as_json: bool = False, limit: int | None = None, show: int = 0, nlp: Language | None = None,
    doc_cache: Path | None = None, dump: Path | None = None,
) -> int:  # fmt: skip
    """Score `rules` (and optionally `baseline`) on `gold`; print the report.

    `nlp` reuses an already loaded pipeline (tests); otherwise `model` is loaded. `doc_cache` is
    a directory of parsed gold documents (see `doccache`), None to parse every time. `dump`
    receives every event of `rules` as JSON Lines (see `dump`).

    Exit codes: 0 scored, 2 unreadable gold or rules, 3 the model could not be loaded.
    """
    try:
        docs = sample(read_gold(gold), limit)
    except (OSError, GoldFormatError) as exc:
        print(f"sitrep eval: cannot read gold: {exc}", file=sys.stderr)
        return 2
    try:
        nlp = nlp if nlp is not None else load_pipeline(model)
    except OSError as exc:
        print(f"sitrep eval: cannot load model {model!r}: {exc}", file=sys.stderr)
        return 3
    try:
        run = evaluate(nlp, rules, docs, doc_cache)
        base = evaluate(nlp, baseline, docs, doc_cache) if baseline is not None else None
    except RuleSetError as exc:
        print(f"sitrep eval: invalid rules:\n{exc}", file=sys.stderr)
        return 2
    if dump is not None:
        try:
            written = write_dump(dump, docs, run.events)
        except OSError as exc:
            print(f"sitrep eval: cannot write the dump: {exc}", file=sys.stderr)
            return 2
        print(f"sitrep eval: {written} events written to {dump}", file=sys.stderr)
    if as_json:
        out = {"gold": str(gold), "model": model, "pack": json_report(run)}
        if base is not None:
            out["baseline"] = json_report(base)
        print(json.dumps(out, indent=2, ensure_ascii=False))
        return 0
    print(f"gold {gold}: {len(docs)} units, model {model}")
    print(text_report(run, show))
    if base is not None:
        print()
        print("baseline:")
        print(text_report(base, 0))
        print()
        print(diff_report(run, base))
    return 0
