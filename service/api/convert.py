"""Plain event records → sitrep.v1 protobuf messages (offsets converted on the way)."""

from __future__ import annotations

from service.api.offsets import OffsetConverter
from service.events.model import Event, Mention, Quantity
from service.proto.sitrep.v1 import extraction_pb2 as pb

EVENT_TYPES = {
    "casualty": pb.EVENT_TYPE_CASUALTY,
    "statement": pb.EVENT_TYPE_STATEMENT,
    "attack": pb.EVENT_TYPE_ATTACK,
    "siege": pb.EVENT_TYPE_SIEGE,
}
TYPE_NAMES: dict[int, str] = {int(value): name for name, value in EVENT_TYPES.items()}


def _span(start: int, end: int, conv: OffsetConverter) -> pb.Span:
    return pb.Span(start=conv(start), end=conv(end))


def _mention(m: Mention, conv: OffsetConverter) -> pb.Mention:
    return pb.Mention(text=m.text, span=_span(m.start, m.end, conv), label=m.label, resolved=m.resolved)


def _quantity(q: Quantity, conv: OffsetConverter) -> pb.Quantity:
    out = pb.Quantity(
        min=q.min, qualifier=pb.Quantity.Qualifier.Value(f"QUALIFIER_{q.qualifier}"),
        text=q.text, span=_span(q.start, q.end, conv),
    )  # fmt: skip
    if q.max is not None:
        out.max = q.max
    return out


def _fill(message: object, event: Event, conv: OffsetConverter) -> None:
    """Copy every role that the typed message has a field for."""
    fields = message.DESCRIPTOR.fields_by_name  # type: ignore[attr-defined]
    for role, m in event.roles.items():
        if role in fields:
            getattr(message, role).CopyFrom(_mention(m, conv))
    for role, q in event.quantities.items():
        if role in fields:
            getattr(message, role).CopyFrom(_quantity(q, conv))


def _event_id(document_id: str, index: int) -> str:
    return f"{document_id}:{index}"


def to_event(event: Event, index: int, document_id: str, conv: OffsetConverter) -> pb.Event:
    out = pb.Event(
        id=_event_id(document_id, index), type=EVENT_TYPES[event.type], rule_id=event.rule_id,
        span=_span(event.start, event.end, conv), text=event.text,
        sentence_index=event.sentence_index, confidence=event.confidence,
    )  # fmt: skip
    if event.coreferent_of is not None:
        out.coreferent_of = _event_id(document_id, event.coreferent_of)
    detail = getattr(out, event.type)
    _fill(detail, event, conv)
    kind = event.attrs.get("kind")
    if event.type == "casualty":
        detail.kind = pb.CasualtyKind.Value(f"CASUALTY_KIND_{kind or 'UNSPECIFIED'}")
    elif event.type == "statement":
        detail.kind = pb.StatementKind.Value(f"STATEMENT_KIND_{kind or 'UNSPECIFIED'}")
        source = event.attrs.get("speaker_source")
        detail.speaker_source = pb.SpeakerSource.Value(f"SPEAKER_SOURCE_{source or 'UNSPECIFIED'}")
    else:
        detail.SetInParent()
    return out


def to_response(
    document_id: str, text: str, events: list[Event], encoding: int, version: str, drop_coreferent: bool = False
) -> pb.ExtractResponse:
    """Ids stay those of the full event list, so a dropped re-mention leaves a gap, never a renumbering."""
    conv = OffsetConverter(text, encoding)
    return pb.ExtractResponse(
        document_id=document_id,
        events=[
            to_event(e, i, document_id, conv)
            for i, e in enumerate(events)
            if not (drop_coreferent and e.coreferent_of is not None)
        ],
        rule_set_version=version,
    )
