"""The event types, declared once: built-in ones here, a rule pack's own in YAML (`event_types`).

A type has three sorts of roles: mentions (text spans), quantities (normalised counts) and enum
attributes. Rule validation, builders, conversion, evaluation and metrics read these declarations
instead of spelling types out. Built-in types mirror their typed proto messages field for field
(tests/test_registry.py checks it), so a new role on one is a proto field plus an entry below;
declared types travel in the generic `CustomEvent` and need no proto change.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

NAME = re.compile(r"^[a-z][a-z0-9_]*$")
"""Type, role and attribute names: lower-case identifiers (a leading `_` marks an unnamed
dependency node, so it can never be a role)."""


@dataclass(frozen=True, slots=True)
class Attribute:
    """An enum-valued field. `from_role`: a rule may mark the word that decides the value."""

    name: str
    values: tuple[str, ...]
    from_role: bool = False


@dataclass(frozen=True, slots=True)
class EventType:
    name: str
    roles: tuple[str, ...]
    quantity_roles: tuple[str, ...] = ()
    attributes: tuple[Attribute, ...] = ()
    description: str = ""
    builtin: bool = False

    @property
    def rule_roles(self) -> tuple[str, ...]:
        """What a rule may assign: mentions, quantities and the attributes a word decides."""
        return (*self.roles, *self.quantity_roles, *(a.name for a in self.attributes if a.from_role))

    def attribute(self, name: str) -> Attribute | None:
        return next((a for a in self.attributes if a.name == name), None)


BUILTIN_TYPES: tuple[EventType, ...] = (
    EventType(
        "casualty", roles=("victims", "perpetrator", "location", "source"), quantity_roles=("count",),
        attributes=(Attribute("kind", ("KILLED", "INJURED", "MISSING", "CAPTURED"), from_role=True),),
        description="People killed, injured, missing or captured.", builtin=True,
    ),
    EventType(
        "statement", roles=("speaker", "content", "cue", "addressee"),
        attributes=(
            Attribute("kind", ("DIRECT", "INDIRECT", "MIXED")),
            Attribute("speaker_source", ("CUE", "PRONOUN", "CARRIED_OVER", "LABEL")),
        ),
        description="Who said what.", builtin=True,
    ),
    EventType(
        "attack", roles=("attacker", "target", "location", "weapon", "trigger"),
        description="An attack.", builtin=True,
    ),
    EventType(
        "siege", roles=("location", "besieger", "trigger"), quantity_roles=("trapped",),
        description="A siege, encirclement or blockade.", builtin=True,
    ),
)  # fmt: skip
BUILTIN: Mapping[str, EventType] = {t.name: t for t in BUILTIN_TYPES}


def all_types(declared: Iterable[EventType] = ()) -> dict[str, EventType]:
    """Built-in types first, then a pack's declared ones, by name."""
    return {**BUILTIN, **{t.name: t for t in declared}}
