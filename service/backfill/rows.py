"""Extraction results → the backfill's output rows, and the one schema they are written with.

One row per event, with the fields of `sitrep.v1.Event` flattened: offsets in code points (as
`sitrep extract` prints them), the type as its name (a built-in type or a pack's declared label),
roles and quantities as maps. A document that yields no event has no row; one that was refused or
failed has one status row (`status` is then `refused` or `failed`, `error` says why, the event
columns are null), so nothing is lost silently. `rule_set_version` comes last: the output is
partitioned by it.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from service.events.model import Event, Mention, Quantity

OK, REFUSED, FAILED = "ok", "refused", "failed"
UNKNOWN = ("", "UNSPECIFIED")  # an attribute the API would send as its enum's 0: left out of the map

MENTION = pa.struct(
    [
        ("text", pa.string()),
        ("start", pa.int32()),
        ("end", pa.int32()),
        ("label", pa.string()),
        ("resolved", pa.string()),
    ]
)
QUANTITY = pa.struct(
    [("min", pa.int64()), ("max", pa.int64()), ("qualifier", pa.string()), ("text", pa.string()),
     ("start", pa.int32()), ("end", pa.int32())]
)  # fmt: skip
SCHEMA = pa.schema(
    [
        ("document_id", pa.string()),
        ("published_at", pa.string()),
        ("status", pa.string()),
        ("error", pa.string()),
        ("event_id", pa.string()),
        ("event_index", pa.int32()),
        ("type", pa.string()),
        ("rule_id", pa.string()),
        ("start", pa.int32()),
        ("end", pa.int32()),
        ("text", pa.string()),
        ("sentence_index", pa.int32()),
        ("confidence", pa.float64()),
        ("coreferent_of", pa.string()),
        ("roles", pa.map_(pa.string(), MENTION)),
        ("quantities", pa.map_(pa.string(), QUANTITY)),
        ("attributes", pa.map_(pa.string(), pa.string())),
        ("rule_set_version", pa.string()),
    ]
)

Row = dict[str, Any]


def event_id(document_id: str, index: int) -> str:
    """The id the gRPC API gives the same event (`Event.id`), so rows and responses join."""
    return f"{document_id}:{index}"


def _mention(m: Mention) -> Row:
    return {"text": m.text, "start": m.start, "end": m.end, "label": m.label, "resolved": m.resolved}


def _quantity(q: Quantity) -> Row:
    return {"min": q.min, "max": q.max, "qualifier": q.qualifier, "text": q.text, "start": q.start, "end": q.end}


def _event_row(document_id: str, published_at: str | None, index: int, e: Event, version: str) -> Row:
    coreferent = None if e.coreferent_of is None else event_id(document_id, e.coreferent_of)
    return {
        "document_id": document_id, "published_at": published_at, "status": OK, "error": None,
        "event_id": event_id(document_id, index), "event_index": index, "type": e.type, "rule_id": e.rule_id,
        "start": e.start, "end": e.end, "text": e.text, "sentence_index": e.sentence_index,
        "confidence": e.confidence, "coreferent_of": coreferent,
        "roles": [(role, _mention(m)) for role, m in e.roles.items()],
        "quantities": [(role, _quantity(q)) for role, q in e.quantities.items()],
        "attributes": [(name, value) for name, value in e.attrs.items() if value not in UNKNOWN],
        "rule_set_version": version,
    }  # fmt: skip


def event_rows(document_id: str, published_at: str | None, events: list[Event], version: str) -> list[Row]:
    """The rows of one document's events; indexes are those of the full list, as in the API."""
    return [_event_row(document_id, published_at, i, e, version) for i, e in enumerate(events)]


def status_row(document_id: str | None, published_at: str | None, status: str, error: str, version: str) -> Row:
    """The one row of a document that produced no events because it was refused or failed."""
    row: Row = dict.fromkeys(SCHEMA.names)
    row.update(document_id=document_id, published_at=published_at, status=status, error=error,
               rule_set_version=version)  # fmt: skip
    return row


def to_batch(rows: list[Row]) -> pa.RecordBatch:
    return pa.RecordBatch.from_pylist(rows, schema=SCHEMA)
