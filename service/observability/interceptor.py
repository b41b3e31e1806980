"""go-grpc-prometheus metrics for the aio server, and the concurrent-RPC limits.

The limits live here rather than in grpc's `maximum_concurrent_rpcs` so a refused call is
counted like any other (RESOURCE_EXHAUSTED), never missing from the metrics. A unary call holds
a slot from start to end; a stream holds one only while it has work in flight (the servicer
takes it per micro-batch), so idle streams cannot lock other clients out. One peer (one
connection) may hold at most `per_peer` slots. Like
go-grpc-prometheus's `InitializeMetrics`, every method of the served services gets its series at
0 for every status code at start-up: the first error of a code then shows in `rate()` and
`increase()` instead of appearing as a series that starts at 1.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import grpc
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor
from grpc_health.v1 import health_pb2
from grpc_reflection.v1alpha import reflection_pb2

from service.errors import E
from service.observability.metrics import Metrics
from service.proto.sitrep.v1 import extraction_pb2

LIMITED_SERVICE = "sitrep.v1.ExtractionService"
SERVED = (
    extraction_pb2.DESCRIPTOR.services_by_name["ExtractionService"],
    health_pb2.DESCRIPTOR.services_by_name["Health"],
    reflection_pb2.DESCRIPTOR.services_by_name["ServerReflection"],
)
_KINDS = {(False, False): "unary", (False, True): "server_stream",
          (True, False): "client_stream", (True, True): "bidi_stream"}  # fmt: skip
_ATTRS = {"unary": "unary_unary", "server_stream": "unary_stream",
          "client_stream": "stream_unary", "bidi_stream": "stream_stream"}  # fmt: skip
Labels = tuple[str, str, str]


def _code(context: grpc.aio.ServicerContext[Any, Any], default: grpc.StatusCode) -> str:
    code = context.code()
    if isinstance(code, grpc.StatusCode):
        return str(code.name)
    if isinstance(code, int):
        return next((c.name for c in grpc.StatusCode if c.value[0] == code), default.name)
    return default.name


class Admission:
    """Slots for extraction work: `limit` in all, `per_peer` for one peer (one connection)."""

    def __init__(self, limit: int, per_peer: int) -> None:
        self.limit = limit
        self.per_peer = per_peer
        self.active = 0
        self._peers: dict[str, int] = {}

    def acquire(self, peer: str) -> E | None:
        """Take a slot; the error code when there is none."""
        if self.active >= self.limit:
            return E.S201
        if self._peers.get(peer, 0) >= self.per_peer:
            return E.S207
        self.active += 1
        self._peers[peer] = self._peers.get(peer, 0) + 1
        return None

    def release(self, peer: str) -> None:
        self.active -= 1
        left = self._peers[peer] - 1
        if left:
            self._peers[peer] = left
        else:
            del self._peers[peer]

    def limit_for(self, code: E) -> int:
        return self.limit if code is E.S201 else self.per_peer

    @contextlib.asynccontextmanager
    async def slot(self, context: Any) -> AsyncIterator[None]:
        """Hold a slot for the block, or abort the call with RESOURCE_EXHAUSTED."""
        peer = str(context.peer())
        refused = self.acquire(peer)
        if refused is not None:
            await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, refused.format(limit=self.limit_for(refused)))
        try:
            yield
        finally:
            self.release(peer)


def method_labels(method: MethodDescriptor) -> Labels:
    """The (grpc_type, grpc_service, grpc_method) labels of one RPC."""
    kind = _KINDS[(method.client_streaming, method.server_streaming)]
    return kind, method.containing_service.full_name, method.name


class MetricsInterceptor(grpc.aio.ServerInterceptor):
    def __init__(self, metrics: Metrics, admission: Admission, services: Sequence[ServiceDescriptor] = SERVED) -> None:
        self._m = metrics
        self._admission = admission
        for service in services:
            for method in service.methods:
                metrics.initialise_rpc(method_labels(method), (code.name for code in grpc.StatusCode))

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any] | None]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        handler = await continuation(details)
        if handler is None:
            return handler
        service, _, method = details.method.lstrip("/").rpartition("/")
        kind = _KINDS[(handler.request_streaming, handler.response_streaming)]
        labels = (kind, service, method)
        attr = _ATTRS[kind]
        behavior = getattr(handler, attr)
        # Streams take their slots per unit of work, in the servicer.
        limited = service == LIMITED_SERVICE and not handler.request_streaming
        wrap = self._wrap_stream if handler.response_streaming else self._wrap_unary
        return handler._replace(**{attr: wrap(behavior, labels, limited)})  # type: ignore[attr-defined, no-any-return]

    def _count_in(self, request: Any, labels: Labels) -> Any:
        if not hasattr(request, "__aiter__"):
            self._m.received.labels(*labels).inc()
            return request

        async def counted() -> AsyncIterator[Any]:
            async for item in request:
                self._m.received.labels(*labels).inc()
                yield item

        return counted()

    @contextlib.asynccontextmanager
    async def _observed(self, context: Any, labels: Labels, limited: bool) -> AsyncIterator[None]:
        """Start, limit, and finish one call: counted under the code it really ended with."""
        t0, code = time.perf_counter(), "OK"
        self._m.started.labels(*labels).inc()
        self._m.inflight.inc()
        try:
            async with self._admission.slot(context) if limited else contextlib.nullcontext():
                yield
            code = _code(context, grpc.StatusCode.OK)
        except (asyncio.CancelledError, GeneratorExit):
            code = "CANCELLED"
            raise
        except BaseException:
            code = _code(context, grpc.StatusCode.UNKNOWN)
            raise
        finally:
            self._m.inflight.dec()
            self._m.handled.labels(*labels, code).inc()
            self._m.latency.labels(*labels).observe(time.perf_counter() - t0)

    def _wrap_unary(self, behavior: Any, labels: Labels, limited: bool) -> Any:
        async def wrapper(request: Any, context: Any) -> Any:
            async with self._observed(context, labels, limited):
                response = await behavior(self._count_in(request, labels), context)
                self._m.sent.labels(*labels).inc()
                return response

        return wrapper

    def _wrap_stream(self, behavior: Any, labels: Labels, limited: bool) -> Any:
        if inspect.iscoroutinefunction(behavior):
            # A handler that writes with context.write() (grpc_health's Watch): grpc runs a
            # coroutine wrapper in the same reader-writer style.
            async def writer(request: Any, context: Any) -> None:
                async with self._observed(context, labels, limited):
                    counted = _CountingWriter(context, self._m.sent.labels(*labels))
                    await behavior(self._count_in(request, labels), counted)

            return writer

        async def wrapper(request: Any, context: Any) -> AsyncIterator[Any]:
            async with self._observed(context, labels, limited):
                async for response in behavior(self._count_in(request, labels), context):
                    self._m.sent.labels(*labels).inc()
                    yield response

        return wrapper


class _CountingWriter:
    """The servicer context as a writing handler sees it, counting each message it writes."""

    def __init__(self, context: Any, sent: Any) -> None:
        self._context = context
        self._sent = sent

    async def write(self, message: Any) -> None:
        await self._context.write(message)
        self._sent.inc()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._context, name)
