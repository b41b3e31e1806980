"""A RuleSet compiled against one pipeline's vocab: immutable once built.

Compilation is per process (matchers hold vocab references); the spec it is built from is the
picklable `RuleSetSpec`. `CompiledRuleSet` is what a request pins from start to end.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from spacy.language import Language
from spacy.matcher import DependencyMatcher, Matcher, PhraseMatcher

from service.engine.depmatch import BoundedDependencyMatcher
from service.engine.pipeline import PipelinePlan, plan
from service.engine.regex import bound_pattern
from service.rules.schema import RuleSetSpec, RuleSpec


@dataclass(frozen=True)
class CompiledRuleSet:
    spec: RuleSetSpec
    plan: PipelinePlan
    matcher: Matcher
    dependency: DependencyMatcher
    phrases: dict[str, PhraseMatcher]
    rules: dict[int, RuleSpec] = field(default_factory=dict)

    @property
    def version(self) -> str:
        return self.spec.version


def compile_rules(spec: RuleSetSpec, nlp: Language) -> CompiledRuleSet:
    """Build the matchers for every active and shadow rule of `spec`."""
    vocab = nlp.vocab
    matcher = Matcher(vocab, validate=False)
    dependency = BoundedDependencyMatcher(vocab, validate=False)
    phrases = {attr: PhraseMatcher(vocab, attr=attr) for attr in ("ORTH", "LOWER")}
    rules: dict[int, RuleSpec] = {}
    attrs: set[str] = set()
    for rule in spec.runnable:
        key = vocab.strings.add(rule.id)
        rules[key] = rule
        attrs |= rule.attrs
        if rule.kind == "pattern":
            matcher.add(rule.id, [bound_pattern(list(rule.pattern))])
        elif rule.kind == "dependency":
            dependency.add(rule.id, [bound_pattern(list(rule.pattern), dependency=True)])
        else:
            phrases[rule.phrase_attr].add(rule.id, [nlp.make_doc(p) for p in rule.pattern])
    return CompiledRuleSet(spec, plan(nlp, attrs), matcher, dependency, phrases, rules)
