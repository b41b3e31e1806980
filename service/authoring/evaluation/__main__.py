"""python -m service.authoring.evaluation GOLD.jsonl [--rules DIR] [--baseline DIR] [--model M] [--json]"""

from __future__ import annotations

import argparse
from pathlib import Path

from service.authoring.evaluation import main
from service.authoring.evaluation.doccache import default_dir
from service.engine.pipeline import DEFAULT_MODEL


def cli(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m service.authoring.evaluation", description=__doc__)
    parser.add_argument("gold", type=Path, help="gold JSON Lines file")
    parser.add_argument("--rules", type=Path, default=Path("rules"), help="rule pack directory")
    parser.add_argument("--baseline", type=Path, default=None, help="a second pack to compare")
    parser.add_argument("--model", default=DEFAULT_MODEL, help="spaCy model package or path")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--limit", type=int, default=None, help="score an even sample of N units")
    parser.add_argument("--show", type=int, default=0, help="list N misses / false positives")
    parser.add_argument("--no-doc-cache", action="store_true", help="parse the gold texts again (no cache)")
    parser.add_argument("--dump", type=Path, default=None, help="write every event found to this JSON Lines file")
    args = parser.parse_args(argv)
    return main(args.gold, args.rules, args.baseline, args.model, as_json=args.json, limit=args.limit,
                show=args.show, doc_cache=None if args.no_doc_cache else default_dir(), dump=args.dump)  # fmt: skip


if __name__ == "__main__":
    raise SystemExit(cli())
