"""The rule playground page and a small JSON gateway, on `--http-port` (off by default).

`GET /` serves the page (plain HTML/CSS/JS in `service/playground/`, package data). `POST
/v1/<Method>` takes the request message of a unary `sitrep.v1.ExtractionService` method as proto3
JSON and calls the running gRPC server through a private Unix socket (a directory only this user
can enter), so the gateway has exactly the API's validation, limits, admission, metrics and
errors. An `Authorization` header travels as the call's `authorization` metadata. A gRPC error
comes back with the matching HTTP status and `{"code", "message", "violations"}`.
"""

from __future__ import annotations

import json
import logging
import shutil
import socket
import tempfile
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from pathlib import Path
from typing import Any, cast

import grpc
from google.protobuf import json_format, message_factory
from google.protobuf.message import Message
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from service.proto.sitrep.v1 import extraction_pb2 as pb

log = logging.getLogger("sitrep.http")
SERVICE = pb.DESCRIPTOR.services_by_name["ExtractionService"]
UNARY = {m.name: m for m in SERVICE.methods if not m.client_streaming and not m.server_streaming}
STATIC = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/playground.js": ("playground.js", "text/javascript; charset=utf-8"),
    "/playground.css": ("playground.css", "text/css; charset=utf-8"),
}
HTTP_STATUS = {
    grpc.StatusCode.INVALID_ARGUMENT: HTTPStatus.BAD_REQUEST,
    grpc.StatusCode.UNAUTHENTICATED: HTTPStatus.UNAUTHORIZED,
    grpc.StatusCode.PERMISSION_DENIED: HTTPStatus.FORBIDDEN,
    grpc.StatusCode.NOT_FOUND: HTTPStatus.NOT_FOUND,
    grpc.StatusCode.RESOURCE_EXHAUSTED: HTTPStatus.TOO_MANY_REQUESTS,
    grpc.StatusCode.UNAVAILABLE: HTTPStatus.SERVICE_UNAVAILABLE,
    grpc.StatusCode.DEADLINE_EXCEEDED: HTTPStatus.GATEWAY_TIMEOUT,
    grpc.StatusCode.UNIMPLEMENTED: HTTPStatus.NOT_IMPLEMENTED,
}


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], channel: grpc.Channel, max_body: int, timeout: float) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.channel, self.max_body, self.call_timeout = channel, max_body, timeout
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, payload: dict[str, Any]) -> None:
        self._send(status, json.dumps(payload, ensure_ascii=False).encode(), "application/json")

    def _error(self, status: int, code: str, message: str, violations: list[dict[str, str]] | None = None) -> None:
        self._json(status, {"code": code, "message": message, "violations": violations or []})

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path not in STATIC:
            self._error(HTTPStatus.NOT_FOUND, "NOT_FOUND", f"no page at {path}")
            return
        name, content_type = STATIC[path]
        self._send(HTTPStatus.OK, (files("service.playground") / name).read_bytes(), content_type)

    def do_POST(self) -> None:
        method = UNARY.get(self.path.removeprefix("/v1/"))
        if not self.path.startswith("/v1/") or method is None:
            self._error(HTTPStatus.NOT_FOUND, "NOT_FOUND", f"no method at {self.path}; POST /v1/<unary method>")
            return
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            self._error(HTTPStatus.LENGTH_REQUIRED, "INVALID_ARGUMENT", "Content-Length is required")
            return
        if not 0 <= length <= self.server.max_body:
            self.close_connection = True
            self._error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "RESOURCE_EXHAUSTED",
                        f"body of {length} bytes, over the limit of {self.server.max_body}")  # fmt: skip
            return
        request = message_factory.GetMessageClass(method.input_type)()
        try:
            json_format.Parse(self.rfile.read(length) or b"{}", request)
        except (json_format.ParseError, UnicodeDecodeError) as exc:
            self._error(HTTPStatus.BAD_REQUEST, "INVALID_ARGUMENT", f"not a {method.input_type.name} in JSON: {exc}")
            return
        self._call(method.name, method.output_type, request)

    def _call(self, name: str, output: Any, request: Message) -> None:
        response_class = message_factory.GetMessageClass(output)
        call: grpc.UnaryUnaryMultiCallable[Message, Message] = self.server.channel.unary_unary(
            f"/{SERVICE.full_name}/{name}",
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=response_class.FromString,
        )
        token = self.headers.get("Authorization", "")
        metadata = (("authorization", token),) if token else ()
        try:
            reply = call(request, metadata=metadata, timeout=self.server.call_timeout)
        except grpc.RpcError as exc:
            failed = cast(grpc.Call, exc)
            self._error(HTTP_STATUS.get(failed.code(), HTTPStatus.INTERNAL_SERVER_ERROR), failed.code().name,
                        failed.details() or "", _violations(failed))  # fmt: skip
            return
        body = json_format.MessageToDict(reply, preserving_proto_field_name=True)
        self._json(HTTPStatus.OK, body)


def _violations(call: grpc.Call) -> list[dict[str, str]]:
    status = rpc_status.from_call(call)
    out = []
    for detail in status.details if status else ():
        bad = error_details_pb2.BadRequest()
        if detail.Unpack(bad):
            out += [{"field": v.field, "description": v.description} for v in bad.field_violations]
    return out


class Gateway:
    """The HTTP server in a daemon thread, and the Unix socket it reaches `grpc_server` by (added
    to it here, so before the gRPC server starts). `port` is the bound one (0 picks a free port)."""

    def __init__(self, grpc_server: grpc.aio.Server, host: str, port: int, max_body: int, timeout: float) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="sitrep-http-"))  # mode 0700: only this user
        target = f"unix:{self._dir / 'grpc.sock'}"
        grpc_server.add_insecure_port(target)
        self._channel = grpc.insecure_channel(target, options=[("grpc.max_receive_message_length", max_body)])
        self._httpd = _Server((host.strip("[]"), port), self._channel, max_body, timeout)
        self.port = int(self._httpd.server_address[1])
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="sitrep-http", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._channel.close()
        shutil.rmtree(self._dir, ignore_errors=True)
