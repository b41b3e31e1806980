"""What spaCy's batch size costs per document, in process, in one run with the turns interleaved.

The service can only batch the documents that are in flight together (single-document `Extract`
calls are gathered up to `pool.BATCH_MAX`, and a worker's minibatch holds at most
`extractor.MINIBATCH_CHARS` of text), while the in-process baseline of `python -m bench` runs
`nlp.pipe` with batch_size 32. On some hosts a document alone costs spaCy noticeably more CPU than
the same document in a batch of 32; this prints that difference, so a service/in-process ratio
below target can be told apart from a cost of the service path itself.

`python -m bench.batch_cost [--every 6] [--rounds 2]` extracts every n-th bench document (the
shipped rules, the real model) with batch sizes 32, 8 and 1 in turn, each round, and prints the
best CPU milliseconds per document of each and their ratios to batch 32.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

from spacy.language import Language

from bench.corpus import ROOT, load_corpus, subset
from service.engine.compiled import CompiledRuleSet, compile_rules
from service.engine.extractor import extract
from service.engine.pipeline import load_pipeline, model_components
from service.rules.loader import load_rules

BATCH_SIZES = (32, 8, 1)


def cpu_ms_per_doc(nlp: Language, compiled: CompiledRuleSet, texts: Sequence[str], batch_size: int) -> float:
    """CPU time of this process per document; batch size 1 is one `extract` call per document."""
    started = time.process_time()
    if batch_size == 1:
        for text in texts:
            extract(nlp, compiled, [text])
    else:
        extract(nlp, compiled, texts, batch_size=batch_size)
    return 1000 * (time.process_time() - started) / len(texts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=int, default=6, help="every n-th bench document (default 6)")
    parser.add_argument("--rounds", type=int, default=2, help="turns of every batch size (best kept)")
    parser.add_argument("--rules", type=Path, default=ROOT / "rules")
    args = parser.parse_args(argv)
    nlp = load_pipeline()
    compiled = compile_rules(load_rules(args.rules, model_components(nlp)), nlp)
    texts = [doc.text for doc in subset(load_corpus(), args.every)]
    extract(nlp, compiled, texts[:20])  # warm-up: first-call allocations are no batch's cost
    best = dict.fromkeys(BATCH_SIZES, float("inf"))
    for round_no in range(1, args.rounds + 1):
        for size in BATCH_SIZES:
            used = cpu_ms_per_doc(nlp, compiled, texts, size)
            best[size] = min(best[size], used)
            print(f"round {round_no}: batch {size:2d}  {used:6.1f} ms CPU per document", flush=True)
    print(f"{len(texts)} documents, best of {args.rounds}:")
    for size in BATCH_SIZES:
        print(f"  batch {size:2d}  {best[size]:6.1f} ms  ratio to batch 32 {best[size] / best[32]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
