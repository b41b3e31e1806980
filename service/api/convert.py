"""Plain event records → sitrep.v1 protobuf messages (offsets converted on the way).

Built-in types fill their typed message, field by field as the registry declares them; a pack's
own types fill the generic `CustomEvent` under their label.
"""

from __future__ import annotations

import re

from google.protobuf.message import Message

from service.api.offsets import OffsetConverter
from service.events.model import Event, Mention, Quantity
from service.events.registry import BUILTIN, EventType
from service.proto.sitrep.v1 import extraction_pb2 as pb

EVENT_TYPES: dict[str, pb.EventType.ValueType] = {
    name: pb.EventType.Value(f"EVENT_TYPE_{name.upper()}") for name in BUILTIN
}
"""Built-in type name → its EventType value; every other name is EVENT_TYPE_CUSTOM."""
TYPE_NAMES: dict[int, str] = {value: name for name, value in EVENT_TYPES.items()}


def type_value(name: str) -> pb.EventType.ValueType:
    return EVENT_TYPES.get(name, pb.EVENT_TYPE_CUSTOM)


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


def _enum_value(message: Message, name: str, value: str) -> int:
    """`KILLED` in the enum of field `kind` (CasualtyKind) → CASUALTY_KIND_KILLED's number."""
    enum = message.DESCRIPTOR.fields_by_name[name].enum_type
    assert enum is not None, name  # the registry test checks every attribute is an enum field
    prefix = re.sub(r"(?<!^)(?=[A-Z])", "_", enum.name).upper()
    return int(enum.values_by_name[f"{prefix}_{value or 'UNSPECIFIED'}"].number)


def _typed(message: Message, event_type: EventType, event: Event, conv: OffsetConverter) -> None:
    """Fill a built-in type's message: one field per declared role and attribute."""
    message.SetInParent()
    for role in event_type.roles:
        if role in event.roles:
            getattr(message, role).CopyFrom(_mention(event.roles[role], conv))
    for role in event_type.quantity_roles:
        if role in event.quantities:
            getattr(message, role).CopyFrom(_quantity(event.quantities[role], conv))
    for attribute in event_type.attributes:
        setattr(message, attribute.name, _enum_value(message, attribute.name, event.attrs.get(attribute.name, "")))


def _custom(message: pb.CustomEvent, event: Event, conv: OffsetConverter) -> None:
    message.label = event.type
    for role, m in event.roles.items():
        message.roles[role].CopyFrom(_mention(m, conv))
    for role, q in event.quantities.items():
        message.quantities[role].CopyFrom(_quantity(q, conv))
    message.attributes.update(event.attrs)


def _event_id(document_id: str, index: int) -> str:
    return f"{document_id}:{index}"


def to_event(event: Event, index: int, document_id: str, conv: OffsetConverter) -> pb.Event:
    out = pb.Event(
        id=_event_id(document_id, index), type=type_value(event.type), rule_id=event.rule_id,
        span=_span(event.start, event.end, conv), text=event.text,
        sentence_index=event.sentence_index, confidence=event.confidence,
    )  # fmt: skip
    if event.coreferent_of is not None:
        out.coreferent_of = _event_id(document_id, event.coreferent_of)
    if event.type in BUILTIN:
        _typed(getattr(out, event.type), BUILTIN[event.type], event, conv)
    else:
        _custom(out.custom, event, conv)
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
