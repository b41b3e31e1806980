"""A draft rule pack, given as the text of one YAML rule file, tried without touching the serving
rule set: the same loader, validation and caps as a reload (file size R106, YAML aliases and depth,
lexicon and phrase caps, dependency cost R213), compiled against the caller's pipeline, and its
examples run and reported with the same per-rule time budget (R402). Example failures are the
author's results, not errors; anything a reload would refuse for is raised as a RuleSetError.
"""

from __future__ import annotations

from dataclasses import dataclass

from spacy.language import Language

from service.authoring.examples import EXAMPLE_BUDGET, ExampleResult, over_budget, run_examples
from service.engine.compiled import CompiledRuleSet, compile_rules
from service.engine.pipeline import model_components
from service.errors import E
from service.rules.errors import RuleError, RuleSetError
from service.rules.loader import MAX_FILE_BYTES, Snapshot, load_snapshot

DRAFT_FILE = "draft.yaml"


@dataclass(frozen=True, slots=True)
class Draft:
    compiled: CompiledRuleSet
    examples: list[ExampleResult]


def load_draft(nlp: Language, text: str) -> Draft:
    """Validate, compile and prove a draft pack; raises RuleSetError with every problem."""
    data = text.encode("utf-8")
    if len(data) > MAX_FILE_BYTES:
        message = E.R106.format(size=len(data), limit=MAX_FILE_BYTES)
        raise RuleSetError([RuleError(DRAFT_FILE, 1, 1, "", message)])
    spec = load_snapshot(Snapshot("", ((DRAFT_FILE, data),)), model_components(nlp))
    compiled = compile_rules(spec, nlp)
    results = run_examples(nlp, compiled)
    slow = over_budget(results, EXAMPLE_BUDGET)
    if slow:
        raise RuleSetError(slow, spec.version)
    return Draft(compiled, results)
