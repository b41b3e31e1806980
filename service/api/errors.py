"""Rich gRPC errors: google.rpc.Status with BadRequest field violations (via grpcio-status)."""

from __future__ import annotations

from dataclasses import dataclass

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from service.errors import E, status_name


@dataclass(frozen=True, slots=True)
class Violation:
    field: str
    description: str


class RequestError(Exception):
    """A request the server refuses, with the catalogue code that explains why."""

    def __init__(self, code: E, violations: list[Violation] | None = None, **kwargs: object) -> None:
        self.error = code
        self.message = code.format(**kwargs) if kwargs or not violations else violations[0].description
        self.violations = violations or []
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
