"""A RuleSet compiled against one pipeline's vocab: immutable once built.

Compilation is per process (matchers hold vocab references); the spec it is built from is the
picklable `RuleSetSpec`. `CompiledRuleSet` is what a request pins from start to end.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cached_property

from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher

from service.engine.anchored import AnchoredMatcher
from service.engine.depmatch import BoundedDependencyMatcher
from service.engine.pipeline import PipelinePlan, plan
from service.engine.regex import bound_pattern
from service.engine.syntax_tests import register as register_syntax_tests
from service.rules.schema import RuleSetSpec, RuleSpec


@dataclass(frozen=True)
class CompiledRuleSet:
    spec: RuleSetSpec
    plan: PipelinePlan
    matcher: Matcher
    dependency: BoundedDependencyMatcher
    phrases: dict[str, PhraseMatcher]
    rules: dict[int, RuleSpec] = field(default_factory=dict)

    @property
    def version(self) -> str:
        return self.spec.version

    @cached_property
    def events(self) -> frozenset[str]:
        """The event types the pack's rules report: read for every document, worked out once."""
        return frozenset(rule.event for rule in self.spec.rules)

    @cached_property
    def placed_types(self) -> frozenset[str]:
        """The types with a `location` role, which events of one clause share (`events.places`)."""
        return frozenset(name for name, kind in self.spec.types.items() if "location" in kind.roles)


def compile_rules(spec: RuleSetSpec, nlp: Language) -> CompiledRuleSet:
    """Build the matchers for every active and shadow rule of `spec`."""
    register_syntax_tests()  # before any matcher reads a rule's `_: {sitrep_own_subject: ...}`
    rules = spec.runnable
    attrs: set[str] = set().union(*(rule.attrs for rule in rules))
    return CompiledRuleSet(spec, plan(nlp, attrs), *_matchers(rules, nlp))


def narrow(compiled: CompiledRuleSet, rule: RuleSpec, nlp: Language) -> CompiledRuleSet:
    """The same rule set matching `rule` alone (same version and pipeline plan): the example
    runner tries one rule at a time, and one rule's matchers cost a fraction of the pack's."""
    matcher, dependency, phrases, keyed = _matchers([rule], nlp)
    return replace(compiled, matcher=matcher, dependency=dependency, phrases=phrases, rules=keyed)


def _matchers(
    rules: Iterable[RuleSpec], nlp: Language
) -> tuple[Matcher, BoundedDependencyMatcher, dict[str, PhraseMatcher], dict[int, RuleSpec]]:
    vocab = nlp.vocab
    matcher = AnchoredMatcher(vocab, validate=False)  # only the rules whose anchors occur run
    dependency = BoundedDependencyMatcher(vocab, validate=False)
    phrases = {attr: PhraseMatcher(vocab, attr=attr) for attr in ("ORTH", "LOWER")}
    keyed: dict[int, RuleSpec] = {}
    for rule in rules:
        keyed[vocab.strings.add(rule.id)] = rule
        if rule.kind == "pattern":
            matcher.add(rule.id, [bound_pattern(list(rule.pattern))])
        elif rule.kind == "dependency":
            dependency.add(rule.id, [bound_pattern(list(rule.pattern), dependency=True)])
            for n, variant in enumerate(rule.variants[1:], start=1):  # OPTIONAL nodes left out
                keyed[vocab.strings.add(f"{rule.id}#{n}")] = rule.partial(variant)
                dependency.add(f"{rule.id}#{n}", [bound_pattern(list(variant), dependency=True)])
        else:
            phrases[rule.phrase_attr].add(rule.id, [nlp.make_doc(p) for p in rule.pattern])
    return matcher, dependency, phrases, keyed
