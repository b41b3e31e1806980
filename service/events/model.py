"""Plain, picklable event records: what a worker returns and the api layer turns into protobuf.

Offsets are Unicode code points into the document text, half-open. Converting them to the
caller's encoding is the api layer's job, done once.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Mention:
    text: str
    start: int
    end: int
    label: str = ""
    resolved: str = ""


@dataclass(frozen=True, slots=True)
class Quantity:
    min: int
    max: int | None
    qualifier: str  # EXACT, APPROXIMATE, AT_LEAST, MORE_THAN, AT_MOST, LESS_THAN, RANGE
    text: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Event:
    """One event of a type in `service.events.registry`: `roles` holds its mentions, `quantities`
    its counts, `attrs` its enum attributes (casualty `kind`, statement `kind` and `speaker_source`)."""

    type: str
    rule_id: str
    start: int
    end: int
    text: str
    sentence_index: int
    confidence: float
    roles: dict[str, Mention] = field(default_factory=dict)
    quantities: dict[str, Quantity] = field(default_factory=dict)
    attrs: dict[str, str] = field(default_factory=dict)
    coreferent_of: int | None = None
    """Index (in the document's event list) of the earlier event this one only re-mentions."""


@dataclass(frozen=True, slots=True)
class Suppressed:
    """A candidate that lost overlap resolution, kept for `explain` and metrics."""

    rule_id: str
    type: str
    start: int
    end: int
    winner: str
    reason: str


@dataclass(slots=True)
class DocResult:
    """Everything a worker learned about one document."""

    events: list[Event]
    tokens: int
    hits: dict[str, int] = field(default_factory=dict)
    suppressed: list[Suppressed] = field(default_factory=list)
    negated: list[str] = field(default_factory=list)
