"""go-grpc-prometheus metrics for the aio server, and the concurrent-RPC limit.

The limit lives here rather than in grpc's `maximum_concurrent_rpcs` so a refused call is
counted like any other (RESOURCE_EXHAUSTED), never missing from the metrics.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc

from service.errors import E
from service.observability.metrics import Metrics

LIMITED_SERVICE = "sitrep.v1.ExtractionService"


def _code(context: grpc.aio.ServicerContext[Any, Any], default: grpc.StatusCode) -> str:
    code = context.code()
    if isinstance(code, grpc.StatusCode):
        return str(code.name)
    if isinstance(code, int):
        return next((c.name for c in grpc.StatusCode if c.value[0] == code), default.name)
    return default.name


class MetricsInterceptor(grpc.aio.ServerInterceptor):
    def __init__(self, metrics: Metrics, max_concurrent: int) -> None:
        self._m = metrics
        self._max = max_concurrent
        self._active = 0

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any] | None]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        handler = await continuation(details)
        if handler is None:
            return handler
        service, _, method = details.method.lstrip("/").rpartition("/")
        streaming = (handler.request_streaming, handler.response_streaming)
        kind = {(False, False): "unary", (False, True): "server_stream",
                (True, False): "client_stream", (True, True): "bidi_stream"}[streaming]  # fmt: skip
        labels = (kind, service, method)
        attr = {"unary": "unary_unary", "server_stream": "unary_stream",
                "client_stream": "stream_unary", "bidi_stream": "stream_stream"}[kind]  # fmt: skip
        behavior = getattr(handler, attr)
        limited = service == LIMITED_SERVICE
        wrapped = (
            self._wrap_stream(behavior, labels, limited)
            if handler.response_streaming
            else (self._wrap_unary(behavior, labels, limited))
        )
        return handler._replace(**{attr: wrapped})  # type: ignore[attr-defined, no-any-return]

    def _count_in(self, request: Any, labels: tuple[str, str, str]) -> Any:
        if not hasattr(request, "__aiter__"):
            self._m.received.labels(*labels).inc()
            return request

        async def counted() -> AsyncIterator[Any]:
            async for item in request:
                self._m.received.labels(*labels).inc()
                yield item

        return counted()

    async def _enter(self, context: Any, labels: tuple[str, str, str], limited: bool) -> None:
        self._m.started.labels(*labels).inc()
        self._m.inflight.inc()
        self._active += 1
        if limited and self._active > self._max:
            await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, E.S201.format(limit=self._max))

    def _exit(self, context: Any, labels: tuple[str, str, str], t0: float, code: str) -> None:
        self._active -= 1
        self._m.inflight.dec()
        self._m.handled.labels(*labels, code).inc()
        self._m.latency.labels(*labels).observe(time.perf_counter() - t0)

    def _wrap_unary(self, behavior: Any, labels: tuple[str, str, str], limited: bool) -> Any:
        async def wrapper(request: Any, context: Any) -> Any:
            t0, code = time.perf_counter(), "OK"
            try:
                await self._enter(context, labels, limited)
                response = await behavior(self._count_in(request, labels), context)
                self._m.sent.labels(*labels).inc()
                code = _code(context, grpc.StatusCode.OK)
                return response
            except asyncio.CancelledError:
                code = "CANCELLED"
                raise
            except BaseException:
                code = _code(context, grpc.StatusCode.UNKNOWN)
                raise
            finally:
                self._exit(context, labels, t0, code)

        return wrapper

    def _wrap_stream(self, behavior: Any, labels: tuple[str, str, str], limited: bool) -> Any:
        async def wrapper(request: Any, context: Any) -> AsyncIterator[Any]:
            t0, code = time.perf_counter(), "OK"
            try:
                await self._enter(context, labels, limited)
                async for response in behavior(self._count_in(request, labels), context):
                    self._m.sent.labels(*labels).inc()
                    yield response
                code = _code(context, grpc.StatusCode.OK)
            except (asyncio.CancelledError, GeneratorExit):
                code = "CANCELLED"
                raise
            except BaseException:
                code = _code(context, grpc.StatusCode.UNKNOWN)
                raise
            finally:
                self._exit(context, labels, t0, code)

        return wrapper
