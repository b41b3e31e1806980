"""`sitrep eval --dump FILE`: every event the pack found in the gold units, one JSON line each.

The scores say how many events are right where a gold file annotates them; what a pack does on
the rest (political news for attacks, RAMS windows beyond their one annotated event) is read by
hand. A dump is what to sample and label: each line names the unit (its index in record order,
so the halves and odd/even splits can be drawn) and holds the event as the engine built it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from service.authoring.evaluation.gold import GoldDoc
from service.events.model import Event


def event_record(unit: int, doc: GoldDoc, event: Event) -> dict[str, Any]:
    """One event as a JSON-ready dict: where it is (unit, offsets, text) and what it holds."""
    return {
        "unit": unit, "id": doc.id, "type": event.type, "rule": event.rule_id,
        "start": event.start, "end": event.end, "text": event.text,
        "roles": {role: {"text": m.text, "resolved": m.resolved} for role, m in event.roles.items()},
        "quantities": {role: {"min": q.min, "max": q.max, "qualifier": q.qualifier, "text": q.text}
                       for role, q in event.quantities.items()},
        "attributes": dict(event.attrs), "coreferent_of": event.coreferent_of,
    }  # fmt: skip


def write_dump(path: Path, docs: Sequence[GoldDoc], events: Sequence[Sequence[Event]]) -> int:
    """Write the events of every unit to `path` (JSON Lines); the number of lines written."""
    lines = [
        json.dumps(event_record(unit, doc, event), ensure_ascii=False)
        for unit, (doc, found) in enumerate(zip(docs, events, strict=True))
        for event in found
    ]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return len(lines)
