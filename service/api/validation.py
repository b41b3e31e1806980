"""Request validation: every problem of a request at once, as BadRequest field violations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from service.api.convert import TYPE_NAMES
from service.api.errors import RequestError, Violation, invalid
from service.errors import E
from service.proto.sitrep.v1 import extraction_pb2 as pb

ENCODINGS = frozenset(pb.OffsetEncoding.values())


@dataclass(frozen=True, slots=True)
class Limits:
    max_text_bytes: int = 1_000_000
    max_batch: int = 256


@dataclass(frozen=True, slots=True)
class Job:
    """A validated unit of work: documents plus the caller's filter and encoding."""

    ids: tuple[str, ...]
    texts: tuple[str, ...]
    types: frozenset[str] | None
    encoding: int
    drop_coreferent: bool = False


def _options(types: Sequence[int], encoding: int, out: list[Violation]) -> frozenset[str] | None:
    for i, value in enumerate(types):
        if value not in TYPE_NAMES:
            out.append(Violation(f"event_types[{i}]", E.S105.format(enum="EventType", value=value)))
    if encoding not in ENCODINGS:
        out.append(Violation("offset_encoding", E.S105.format(enum="OffsetEncoding", value=encoding)))
    return frozenset(TYPE_NAMES[t] for t in types if t in TYPE_NAMES) or None


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
    return Job((doc.id,), (doc.text,), types, request.offset_encoding, request.drop_coreferent)


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
        tuple(d.id for d in docs), tuple(d.text for d in docs), types, request.offset_encoding, request.drop_coreferent
    )


def undecodable(message: str, problem: str) -> RequestError:
    """For bytes that do not parse as the request message (invalid UTF-8, truncation)."""
    return RequestError(E.S106, [Violation("(request)", E.S106.format(message=message, problem=problem))])
