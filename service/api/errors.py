"""Rich gRPC errors: google.rpc.Status with BadRequest field violations (via grpcio-status)."""

from __future__ import annotations

from dataclasses import dataclass

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from service.errors import E, status_name

# gRPC sends the status message and details in headers, which clients cap at 16 KiB by default:
# beyond that the caller sees RESOURCE_EXHAUSTED instead of the error. Base64 makes details 4/3.
MAX_VIOLATIONS = 16
MAX_TEXT = 256


def _cut(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


@dataclass(frozen=True, slots=True)
class Violation:
    field: str
    description: str


class RequestError(Exception):
    """A request the server refuses, with the catalogue code that explains why."""

    def __init__(self, code: E, violations: list[Violation] | None = None, **kwargs: object) -> None:
        """Violations past `MAX_VIOLATIONS` are summed up in one, and long texts cut, so the
        status always fits in the headers that carry it."""
        self.error = code
        violations = [Violation(_cut(v.field), _cut(v.description)) for v in violations or []]
        if len(violations) > MAX_VIOLATIONS:
            more = len(violations) - MAX_VIOLATIONS + 1
            violations[MAX_VIOLATIONS - 1 :] = [Violation("(request)", f"... and {more} more violations")]
        self.message = _cut(code.format(**kwargs) if kwargs or not violations else violations[0].description)
        self.violations = violations
        super().__init__(self.message)

    @property
    def grpc_code(self) -> grpc.StatusCode:
        return grpc.StatusCode[status_name(self.error)]

    def to_status(self) -> grpc.Status:
        status = status_pb2.Status(code=getattr(code_pb2, self.grpc_code.name), message=self.message)
        if self.violations:
            detail = any_pb2.Any()
            detail.Pack(
                error_details_pb2.BadRequest(
                    field_violations=[
                        error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description)
                        for v in self.violations
                    ]
                )
            )
            status.details.append(detail)
        converted: grpc.Status = rpc_status.to_status(status)
        return converted


def invalid(violations: list[Violation]) -> RequestError:
    """An INVALID_ARGUMENT error listing every violation; the first one's code names the error."""
    code = E[violations[0].description[1:5]]
    return RequestError(code, violations)
