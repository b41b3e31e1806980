"""The engine's dependency matcher against spaCy's on the dev corpus: same results, and the cost.

`python -m bench.matchers [--rules rules] [--every N]` parses the corpus once, then runs the whole
extraction (matching, role growth, negation, overlaps, events) twice per document: with the
compiled rule set as it is, and with spaCy's own `DependencyMatcher` holding the same patterns.
Every document's result (events, hits, suppressed and negated candidates) must be equal; it
prints the matching time of both and the costliest rules, and exits 1 on any difference.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path
from typing import cast

from spacy.matcher import DependencyMatcher

from bench.corpus import load_corpus, subset
from service.config import Settings
from service.engine.compiled import CompiledRuleSet, compile_rules
from service.engine.depmatch import BoundedDependencyMatcher
from service.engine.extractor import process_doc
from service.engine.pipeline import load_pipeline, model_components
from service.engine.regex import bound_pattern
from service.rules.loader import load_rules


class _Spacy(DependencyMatcher):
    """spaCy's matcher, with the (empty) per-rule times the engine's reports."""

    seconds: dict[int, float] = {}  # noqa: RUF012  # never written


def with_spacy_matcher(compiled: CompiledRuleSet) -> CompiledRuleSet:
    """The same rule set with spaCy's DependencyMatcher in place of the engine's."""
    vocab = compiled.dependency.vocab
    reference = _Spacy(vocab, validate=False)
    for key, rule in compiled.rules.items():  # a rule's OPTIONAL variants have keys of their own
        if rule.kind == "dependency":
            reference.add(vocab.strings[key], [bound_pattern(list(rule.pattern), dependency=True)])
    return replace(compiled, dependency=cast(BoundedDependencyMatcher, reference))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=Path, default=Path("rules"))
    parser.add_argument("--every", type=int, default=1, help="every n-th corpus document only")
    args = parser.parse_args(argv)
    nlp = load_pipeline(Settings().model)
    compiled = compile_rules(load_rules(args.rules, model_components(nlp)), nlp)
    reference = with_spacy_matcher(compiled)
    docs = subset(load_corpus(), args.every)
    seconds = {"engine": 0.0, "spacy": 0.0}
    per_rule: dict[str, float] = {}
    differ: list[str] = []
    events = 0
    parsed = nlp.pipe((d.text for d in docs), disable=list(compiled.plan.disabled))
    for source, doc in zip(docs, parsed, strict=True):
        results = {}
        for name, rules in (("engine", compiled), ("spacy", reference)):
            timings = {"match": 0.0, "build": 0.0}
            results[name] = process_doc(
                doc, rules, timings=timings, rule_seconds=per_rule if name == "engine" else None
            )
            seconds[name] += timings["match"]
        events += len(results["engine"].events)
        if results["engine"] != results["spacy"]:
            differ.append(source.id)
    print(f"{len(docs)} documents, {events} events, {len(differ)} differ {differ[:10]}")
    print(f"matching: engine {seconds['engine']:.2f} s, spaCy DependencyMatcher {seconds['spacy']:.2f} s")
    print("costliest rules (CPU s: dependency matching and candidate growth):")
    for rule_id, spent in sorted(per_rule.items(), key=lambda item: -item[1])[:10]:
        print(f"  {spent:7.3f}  {rule_id}")
    return 1 if differ else 0


if __name__ == "__main__":
    started = time.time()
    code = main()
    print(f"({time.time() - started:.0f} s)")
    raise SystemExit(code)
