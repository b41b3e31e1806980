"""The rule-file schema (pydantic, extra keys forbidden) and the normalised spec it compiles from.

`RuleFileModel` is what authors write; `RuleSpec` is what the engine runs: lexicons expanded, role
names resolved to pattern positions, positions kept for messages. Specs are plain frozen
dataclasses so a RuleSet can cross into worker processes by pickling.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from service.events.lexicons import EngineLexicons
from service.events.registry import EventType, all_types
from service.rules.errors import RuleError

Status = Literal["active", "shadow", "disabled"]
Expansion = Literal["token", "phrase", "entity", "subtree", "conjuncts", "quantity"]

DEFAULT_EXPANSION: dict[str, Expansion] = {
    "trigger": "token",
    "cue": "token",
    "kind": "token",
    "content": "subtree",
}
"""Role expansion when a rule does not say; quantity roles grow to their `quantity`, every other
role to its `phrase`."""
NAME_PATTERN = r"^[a-z][a-z0-9_]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ExampleModel(_Strict):
    text: str = Field(min_length=1)
    expect: list[dict[str, str | int | float]]


class EventTypeModel(_Strict):
    """A pack's own event type: `{name: displacement, roles: [displaced, origin]}` at least."""

    name: str = Field(pattern=NAME_PATTERN, max_length=60)
    roles: list[str] = Field(default_factory=list)
    quantity_roles: list[str] = Field(default_factory=list)
    attributes: dict[str, list[str]] = Field(default_factory=dict)
    description: str = ""


class ContextModel(_Strict):
    """A kind of document a rule may be confined to (`context:`): one whose text holds at least
    `min_words` distinct words of the pack lexicon `lexicon` ("a match report": halftime,
    striker, ...) and, with `per_tokens`, at least one per `per_tokens` tokens of text (a long
    live blog that mentions a film, a movie and a cinema is no review). Figurative attacks in sport
    and reviews are vetoed this way."""

    lexicon: str = Field(pattern=NAME_PATTERN, max_length=60)
    min_words: int = Field(ge=1, le=50)
    per_tokens: int = Field(default=0, ge=0)
    description: str = ""


class RuleModel(_Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9_.\-]+$", max_length=120)
    event: str = Field(pattern=NAME_PATTERN, max_length=60)
    description: str = ""
    confidence: float = Field(default=0.8, ge=0.0, le=1.0)
    priority: int | str = 0  # a number, or a level named in a pack's `priorities`
    # a match that lacks OPTIONAL nodes: its own priority and confidence (default: the rule's)
    partial_priority: int | str | None = None
    partial_confidence: float | None = Field(default=None, ge=0.0, le=1.0)
    veto: bool = False
    # with veto: the later bare re-mentions ("the blast") of what the veto matched are no events
    rementions: bool = False
    status: Status = "active"
    pattern: list[dict[str, Any]] | None = Field(default=None, min_length=1)
    dependency: list[dict[str, Any]] | None = Field(default=None, min_length=1)
    phrases: list[str] | None = Field(default=None, min_length=1)
    phrase_attr: Literal["ORTH", "LOWER"] = "LOWER"
    phrase_role: str = "trigger"
    expand: dict[str, Expansion] = Field(default_factory=dict)
    casualty_kind: Literal["KILLED", "INJURED", "MISSING", "CAPTURED"] | None = None
    attributes: dict[str, str] = Field(default_factory=dict)
    negation: Literal["drop", "keep"] = "drop"
    context: str | None = Field(default=None, pattern=NAME_PATTERN)  # runs only in such documents
    examples: list[ExampleModel] = Field(default_factory=list)


class RuleFileModel(_Strict):
    """The file envelope. Rules are validated one by one, so one bad rule hides no other error."""

    version: Literal[1]
    event: str | None = Field(default=None, pattern=NAME_PATTERN)  # the event type of rules that name none
    expand: dict[str, Expansion] = Field(default_factory=dict)  # how a role grows where a rule names none
    event_types: list[dict[str, Any]] = Field(default_factory=list)
    priorities: dict[str, int] = Field(default_factory=dict)
    contexts: dict[str, ContextModel] = Field(default_factory=dict)
    templates: dict[str, dict[str, Any]] = Field(default_factory=dict)
    lexicons: dict[str, list[str]] = Field(default_factory=dict)
    rules: list[dict[str, Any]] = Field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    expect: tuple[dict[str, str | int | float], ...]
    line: int


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """One validated rule, ready to compile."""

    id: str
    event: str
    description: str
    confidence: float
    priority: int
    status: Status
    kind: Literal["pattern", "dependency", "phrases"]
    file: str
    line: int
    # pattern: token dicts with `as` removed; dependency: the DependencyMatcher pattern;
    # phrases: one entry per phrase.
    pattern: tuple[Any, ...]
    token_roles: tuple[str | None, ...] = ()  # pattern rules: the role of each pattern token
    phrase_attr: str = "LOWER"
    phrase_role: str = "trigger"
    expand: tuple[tuple[str, Expansion], ...] = ()
    casualty_kind: str | None = None
    attributes: tuple[tuple[str, str], ...] = ()
    negation: Literal["drop", "keep"] = "drop"
    context: str | None = None  # the document context (`DocContext`) the rule needs, if any
    examples: tuple[Example, ...] = ()
    veto: bool = False  # the match is certainly no event of its type: drops candidates on its words
    rementions: bool = False  # a veto whose non-event's later bare re-mentions are dropped too
    # dependency rules with OPTIONAL nodes: every pattern to run, the full one first, and the
    # priority and confidence of a match of a shorter one
    variants: tuple[tuple[Any, ...], ...] = ()
    partial_priority: int | None = None
    partial_confidence: float | None = None
    attrs: frozenset[str] = frozenset()
    quantity_roles: frozenset[str] = frozenset()  # of the rule's event type

    def expansion(self, role: str) -> Expansion:
        default: Expansion = "quantity" if role in self.quantity_roles else DEFAULT_EXPANSION.get(role, "phrase")
        return dict(self.expand).get(role, default)

    def partial(self, variant: tuple[Any, ...]) -> RuleSpec:
        """The rule as it runs one of its variants: a shorter one (OPTIONAL nodes left out) with the
        partial priority and confidence, if the rule gives them."""
        shorter = len(variant) < len(self.pattern)
        priority = self.partial_priority if shorter and self.partial_priority is not None else self.priority
        confidence = self.partial_confidence if shorter and self.partial_confidence is not None else self.confidence
        return replace(self, pattern=variant, priority=priority, confidence=confidence)

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True, slots=True)
class DocContext:
    """A declared document context, its lexicon expanded (lower-case lemmas)."""

    name: str
    lemmas: frozenset[str]
    min_words: int
    per_tokens: int = 0

    def needs(self, tokens: int) -> int:
        """How many distinct words of the lexicon a document of `tokens` tokens must hold."""
        return max(self.min_words, tokens // self.per_tokens if self.per_tokens else 0)


@dataclass(frozen=True, slots=True)
class RuleSetSpec:
    """A whole validated pack. `version` is the content hash of the files it was read from."""

    version: str
    rules: tuple[RuleSpec, ...]
    files: tuple[str, ...] = field(default=())
    event_types: tuple[EventType, ...] = ()  # declared by the pack, beside the built-in ones
    warnings: tuple[RuleError, ...] = ()  # W-coded lint findings: shown by `sitrep check`, never fatal
    lexicons: EngineLexicons = field(kw_only=True)  # the reserved lexicons, defaults filled in
    contexts: tuple[DocContext, ...] = field(default=(), kw_only=True)

    @property
    def types(self) -> dict[str, EventType]:
        """Every type the pack's rules may produce, built-in and declared."""
        return all_types(self.event_types)

    @property
    def runnable(self) -> tuple[RuleSpec, ...]:
        """Active and shadow rules: the ones that are compiled and run."""
        return tuple(rule for rule in self.rules if rule.status != "disabled")
