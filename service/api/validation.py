"""Request validation: every problem of a request at once, as BadRequest field violations."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from service.api.convert import TYPE_NAMES
from service.api.errors import RequestError, Violation, invalid
from service.errors import E
from service.events.registry import EventType
from service.proto.sitrep.v1 import extraction_pb2 as pb

ENCODINGS = frozenset(pb.OffsetEncoding.values())


@dataclass(frozen=True, slots=True)
class Limits:
    max_text_bytes: int = 1_000_000
    max_batch: int = 256


@dataclass(frozen=True, slots=True)
class Job:
    """A validated unit of work: documents plus the caller's filter and encoding.

    `types` holds the built-in names the request's `event_types` ask for; `labels` and `custom`
    (EVENT_TYPE_CUSTOM: every declared type) need the serving rule set and are folded into
    `types` by `with_rule_set` once one is pinned."""

    ids: tuple[str, ...]
    texts: tuple[str, ...]
    types: frozenset[str] | None
    encoding: int
    drop_coreferent: bool = False
    labels: tuple[str, ...] = ()
    custom: bool = False


def _options(types: Sequence[int], encoding: int, out: list[Violation]) -> frozenset[str] | None:
    for i, value in enumerate(types):
        if value not in TYPE_NAMES and value != pb.EVENT_TYPE_CUSTOM:
            out.append(Violation(f"event_types[{i}]", E.S105.format(enum="EventType", value=value)))
    if encoding not in ENCODINGS:
        out.append(Violation("offset_encoding", E.S105.format(enum="OffsetEncoding", value=encoding)))
    return frozenset(TYPE_NAMES[t] for t in types if t in TYPE_NAMES) or None


def with_rule_set(job: Job, known: Mapping[str, EventType]) -> Job:
    """The job with its labels checked against the serving rule set's types and its filter the
    set of type names to keep (None: all)."""
    out = [
        Violation(f"event_labels[{i}]", E.S108.format(label=label, known=", ".join(known)))
        for i, label in enumerate(job.labels)
        if label not in known
    ]
    if out:
        raise invalid(out)
    if not job.labels and not job.custom:
        return job
    declared = {name for name, event_type in known.items() if not event_type.builtin} if job.custom else set()
    return replace(job, types=(job.types or frozenset()) | frozenset(job.labels) | declared, labels=(), custom=False)


def _document(doc: pb.Document, prefix: str, limits: Limits, out: list[Violation]) -> None:
    if not doc.text:
        out.append(Violation(f"{prefix}.text", E.S101.format()))
        return
    size = len(doc.text.encode("utf-8", "surrogatepass"))
    if size > limits.max_text_bytes:
        out.append(Violation(f"{prefix}.text", E.S102.format(size=size, limit=limits.max_text_bytes)))


def single(request: pb.ExtractRequest | pb.StreamExtractRequest, limits: Limits) -> Job:
    out: list[Violation] = []
    if not request.HasField("document"):
        out.append(Violation("document", E.S107.format()))
    else:
        _document(request.document, "document", limits, out)
    types = _options(request.event_types, request.offset_encoding, out)
    if out:
        raise invalid(out)
    doc = request.document
    return Job(
        (doc.id,), (doc.text,), types, request.offset_encoding, request.drop_coreferent,
        tuple(request.event_labels), pb.EVENT_TYPE_CUSTOM in request.event_types,
    )  # fmt: skip


def batch(request: pb.BatchExtractRequest, limits: Limits) -> Job:
    out: list[Violation] = []
    count = len(request.documents)
    if count > limits.max_batch:
        raise invalid([Violation("documents", E.S103.format(limit=limits.max_batch, count=count))])
    if count == 0:
        out.append(Violation("documents", E.S107.format()))
    first: dict[str, int] = {}
    for i, doc in enumerate(request.documents):
        _document(doc, f"documents[{i}]", limits, out)
        if doc.id and doc.id in first:
            out.append(Violation(f"documents[{i}].id", E.S104.format(doc_id=doc.id, first=first[doc.id])))
        first.setdefault(doc.id, i)
    types = _options(request.event_types, request.offset_encoding, out)
    if out:
        raise invalid(out)
    docs = request.documents
    return Job(
        tuple(d.id for d in docs), tuple(d.text for d in docs), types, request.offset_encoding,
        request.drop_coreferent, tuple(request.event_labels), pb.EVENT_TYPE_CUSTOM in request.event_types,
    )  # fmt: skip


def undecodable(message: str, problem: str) -> RequestError:
    """For bytes that do not parse as the request message (invalid UTF-8, truncation)."""
    return RequestError(E.S106, [Violation("(request)", E.S106.format(message=message, problem=problem))])
