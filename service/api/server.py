"""Composition root of the serving process: pipeline, rule-set manager, worker pool, gRPC
server (health, reflection, interceptors, TLS), metrics endpoint and hot reload.

`Server.start()` returns the bound port so tests can bind port 0 (grpc examples' pattern).
"""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import message_factory
from google.protobuf.message import DecodeError
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from prometheus_client import start_http_server

from service.api.http import Gateway
from service.api.servicer import AdminPolicy, ExtractionServicer, Runtime, Undecodable
from service.api.validation import Limits
from service.config import Settings
from service.engine.pipeline import load_pipeline, resolve_model_name
from service.engine.pool import WorkerPool
from service.observability.interceptor import Admission, MetricsInterceptor
from service.observability.metrics import Metrics
from service.observability.workers import WorkerCollector
from service.proto.sitrep.v1 import extraction_pb2 as pb
from service.reload.manager import RuleSetManager
from service.reload.watcher import RuleWatcher

SERVICE = pb.DESCRIPTOR.services_by_name["ExtractionService"]
SERVICE_NAME = SERVICE.full_name
log = logging.getLogger("sitrep.server")


def _lenient(cls: Any) -> Any:
    """A deserializer that never throws: bad bytes become `Undecodable` for a clean error."""

    def parse(data: bytes) -> Any:
        try:
            return cls.FromString(data)
        except (DecodeError, UnicodeDecodeError, ValueError) as exc:
            return Undecodable(cls.DESCRIPTOR.name, str(exc) or "malformed message")

    return parse


def _handlers(servicer: ExtractionServicer) -> grpc.GenericRpcHandler:
    makers = {
        (False, False): grpc.unary_unary_rpc_method_handler,
        (False, True): grpc.unary_stream_rpc_method_handler,
        (True, False): grpc.stream_unary_rpc_method_handler,
        (True, True): grpc.stream_stream_rpc_method_handler,
    }
    handlers = {}
    for method in SERVICE.methods:
        request = message_factory.GetMessageClass(method.input_type)
        response = message_factory.GetMessageClass(method.output_type)
        make = makers[(method.client_streaming, method.server_streaming)]
        handlers[method.name] = make(
            getattr(servicer, method.name),
            request_deserializer=_lenient(request),
            response_serializer=response.SerializeToString,
        )
    return grpc.method_handlers_generic_handler(SERVICE_NAME, handlers)


class Server:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.metrics = Metrics()
        self.health = health.aio.HealthServicer()
        self.port = 0
        self.metrics_port = 0
        self.gateway: Gateway | None = None  # the playground page and JSON gateway (--http-port)
        self._server: grpc.aio.Server | None = None
        self._pool: WorkerPool | None = None
        self._watcher: RuleWatcher | None = None
        self.manager: RuleSetManager | None = None
        self._health_task: asyncio.Task[None] | None = None

    async def _set_health(self, status: int) -> None:
        for name in ("", SERVICE_NAME):
            await self.health.set(name, status)

    async def start(self) -> int:
        s = self.settings
        await self._set_health(health_pb2.HealthCheckResponse.NOT_SERVING)
        options = [
            ("grpc.max_receive_message_length", s.max_message_bytes),
            ("grpc.max_send_message_length", s.max_message_bytes),
            ("grpc.max_connection_age_ms", int(s.max_connection_age * 1000)),
            ("grpc.max_connection_age_grace_ms", int(s.grace_period * 1000)),
            ("grpc.so_reuseport", 0),
        ]
        per_peer = s.max_rpcs_per_peer or max(1, s.max_concurrent_rpcs // 2)
        admission = Admission(s.max_concurrent_rpcs, per_peer)
        self._server = grpc.aio.server(interceptors=[MetricsInterceptor(self.metrics, admission)], options=options)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self._server)
        reflection.enable_server_reflection((SERVICE_NAME, health.SERVICE_NAME, reflection.SERVICE_NAME), self._server)
        address = f"{s.host}:{s.port}"
        if s.tls_cert:
            creds = grpc.ssl_server_credentials(
                [(Path(s.tls_key).read_bytes(), Path(s.tls_cert).read_bytes())],
                root_certificates=Path(s.tls_client_ca).read_bytes() if s.tls_client_ca else None,
                require_client_auth=bool(s.tls_client_ca),
            )
            self.port = self._server.add_secure_port(address, creds)
        else:
            self.port = self._server.add_insecure_port(address)
        if s.metrics_port >= 0:
            httpd, _ = start_http_server(s.metrics_port, registry=self.metrics.registry)
            self.metrics_port = httpd.server_port
        admin = AdminPolicy(s.enable_admin, s.admin_token, bool(s.tls_client_ca), s.enable_drafts)
        limits = Limits(s.max_text_bytes, s.max_batch)
        runtime = Runtime()
        servicer = ExtractionServicer(
            runtime, self.metrics, limits, resolve_model_name(s.model), admin,
            admission=admission, stream_idle=s.stream_idle_timeout,
        )  # fmt: skip
        self._server.add_generic_rpc_handlers((_handlers(servicer),))
        if s.http_port >= 0:
            self.gateway = Gateway(self._server, s.host, s.http_port, s.max_message_bytes, s.max_call_seconds)
        await self._server.start()  # health answers NOT_SERVING while the model loads
        if self.gateway:
            self.gateway.start()
            log.info("playground on http port %d", self.gateway.port)

        nlp = await asyncio.to_thread(load_pipeline, s.model)
        self.manager = RuleSetManager(Path(s.rules), nlp)
        self.manager.listeners.append(self.metrics.on_reload)
        await asyncio.to_thread(self.manager.reload)
        self._pool = WorkerPool(s.model, s.workers, s.max_call_seconds, s.batch_delay_ms / 1000)
        self._pool.on_death = lambda reason: self.metrics.worker_deaths.labels(reason).inc()
        self.metrics.workers.set(self._pool.size)
        self.metrics.registry.register(WorkerCollector(self._pool.pids))
        await self._pool.warm_up()
        if self.manager.current is not None:
            await self._pool.prepare(self.manager.current.pinned)
        self.manager.prepare = self._pool.prepare_from_thread
        runtime.manager, runtime.pool = self.manager, self._pool
        self._watcher = RuleWatcher(self.manager, s.poll_interval, s.watch, s.debounce_ms)
        self._watcher.start()
        if self.manager.current is None:
            log.error("no valid rule set loaded from %s; health stays NOT_SERVING until one loads", s.rules)
        self._health_task = asyncio.create_task(self._follow_health())
        log.info("listening on port %d (metrics %d), %d workers", self.port, self.metrics_port, self._pool.size)
        return self.port

    async def _follow_health(self) -> None:
        """SERVING exactly while a rule set is loaded and every worker answers (checked twice a
        second): a pack fixed after a bad start, or a replaced pool, comes back by itself."""
        serving: bool | None = None
        while True:
            now = bool(self.manager and self.manager.current and self._pool and self._pool.healthy())
            if now != serving:
                serving = now
                status = health_pb2.HealthCheckResponse.SERVING if now else health_pb2.HealthCheckResponse.NOT_SERVING
                await self._set_health(status)
                log.info("health: %s", "SERVING" if now else "NOT_SERVING")
            await asyncio.sleep(0.5)

    async def stop(self, grace: float | None = None) -> None:
        """Graceful: NOT_SERVING first, refuse new calls, let in-flight ones finish for the
        grace period; then workers get a few seconds and are killed, so the process always exits."""
        if self._health_task:
            self._health_task.cancel()
        await self.health.enter_graceful_shutdown()
        # Close the listener at once: a call accepted while the rest shuts down would be cancelled
        # by gRPC (CANCELLED) instead of refused (UNAVAILABLE).
        draining = (
            asyncio.create_task(self._server.stop(self.settings.grace_period if grace is None else grace))
            if self._server
            else None
        )
        if self.gateway:
            await asyncio.to_thread(self.gateway.stop)
        if self._watcher:
            await self._watcher.stop()
        if draining:
            await draining
        if self._pool:
            await self._pool.stop(timeout=5.0)
        if self.manager:
            self.manager.close()

    async def wait(self) -> None:
        assert self._server is not None
        await self._server.wait_for_termination()


async def serve(settings: Settings) -> None:
    """Run until SIGTERM/SIGINT; SIGHUP forces a rule reload."""
    server = Server(settings)
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    await server.start()
    if server._watcher is not None:
        loop.add_signal_handler(signal.SIGHUP, server._watcher.trigger)
    await stopping.wait()
    log.info("shutting down: draining for up to %.0fs", settings.grace_period)
    await server.stop()
