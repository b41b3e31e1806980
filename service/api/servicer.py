"""sitrep.v1.ExtractionService: validate, pin one rule-set version, hand off to the pool, convert.

Stateless apart from references to the manager and the pool. Each request reads the published
rule set once and uses it from start to end; its response names that version.
"""

from __future__ import annotations

import asyncio
import hmac
import time
from collections import Counter, deque
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from spacy import about as spacy_about

from service.api import explaining, validation
from service.api.convert import to_response, type_value
from service.api.errors import RequestError, Violation
from service.engine.extractor import BatchResult
from service.engine.pool import OVERRUN_MARGIN, DeadlineExpired, Overran, WorkerLost, WorkerPool
from service.errors import E
from service.events.registry import EventType
from service.observability.interceptor import Admission
from service.observability.metrics import Metrics
from service.proto.sitrep.v1 import extraction_pb2 as pb
from service.reload.manager import Published, ReloadOutcome, RuleSetManager

RULE_STATUS = {"active": pb.RULE_STATUS_ACTIVE, "shadow": pb.RULE_STATUS_SHADOW, "disabled": pb.RULE_STATUS_DISABLED}
Context = grpc.aio.ServicerContext[Any, Any]


@dataclass(frozen=True, slots=True)
class Undecodable:
    """Stands in for a request whose bytes did not parse, so the servicer can answer it."""

    message: str
    problem: str


@dataclass
class Runtime:
    """What the servicer serves from; filled in once the model and workers are up."""

    manager: RuleSetManager | None = None
    pool: WorkerPool | None = None


@dataclass(frozen=True, slots=True)
class AdminPolicy:
    enabled: bool = False
    token: str = ""
    mtls: bool = False
    drafts: bool = False  # Explain may run draft packs (with the same credentials)


def _timestamp(seconds: float) -> Timestamp:
    ts = Timestamp()
    ts.FromNanoseconds(int(seconds * 1e9))
    return ts


def reload_status(outcome: ReloadOutcome | None) -> pb.ReloadStatus:
    if outcome is None:
        return pb.ReloadStatus()
    return pb.ReloadStatus(
        success=outcome.success, attempted_at=_timestamp(outcome.at),
        errors=list(outcome.errors), attempted_version=outcome.attempted_version,
    )  # fmt: skip


def _in_stream(index: int, error: RequestError) -> RequestError:
    """The error with its fields located in the stream: `requests[3].document.text`."""
    return RequestError(
        error.error, [Violation(f"requests[{index}].{v.field}", v.description) for v in error.violations]
    )


def type_info(event_type: EventType) -> pb.EventTypeInfo:
    return pb.EventTypeInfo(
        name=event_type.name, type=type_value(event_type.name), roles=event_type.roles,
        quantity_roles=event_type.quantity_roles, description=event_type.description,
        attributes=[pb.AttributeInfo(name=a.name, values=a.values) for a in event_type.attributes],
    )  # fmt: skip


class ExtractionServicer:
    def __init__(
        self, runtime: Runtime, metrics: Metrics, limits: validation.Limits, model: str,
        admin: AdminPolicy, stream_batch: int = 16, admission: Admission | None = None,
        stream_idle: float = 60.0,
    ) -> None:  # fmt: skip
        self._admission = admission or Admission(1 << 30, 1 << 30)
        self._stream_idle = stream_idle
        self._runtime = runtime
        self._metrics = metrics
        self._limits = limits
        self._model = model
        self._admin = admin
        self._stream_batch = stream_batch

    # -- helpers -------------------------------------------------------------------------

    async def _fail(self, context: Context, error: RequestError) -> None:
        await context.abort_with_status(error.to_status())

    def _ready(self) -> tuple[RuleSetManager, WorkerPool]:
        manager, pool = self._runtime.manager, self._runtime.pool
        if manager is None or pool is None:
            raise RequestError(E.S205)
        return manager, pool

    def _published(self) -> Published:
        current = self._ready()[0].current
        if current is None:
            raise RequestError(E.S205)
        return current

    async def _run(self, published: Published, job: validation.Job, context: Context) -> BatchResult:
        remaining = context.time_remaining()
        deadline = time.time() + remaining if remaining is not None else None
        try:
            result = await self._ready()[1].extract(published.pinned, job.texts, job.types, deadline)
        except WorkerLost:
            raise RequestError(E.S202) from None
        except Overran:
            raise RequestError(E.S208, seconds=OVERRUN_MARGIN) from None
        except DeadlineExpired:
            await context.abort(grpc.StatusCode.DEADLINE_EXCEEDED, "deadline expired before extraction ran")
            raise
        emitted = Counter(event.type for doc in result.docs for event in doc.events)
        self._metrics.record_batch(result, job.texts, {str(kind): n for kind, n in emitted.items()})
        return result

    def _responses(self, job: validation.Job, result: BatchResult, version: str) -> list[pb.ExtractResponse]:
        return [
            to_response(doc_id, text, doc.events, job.encoding, version, job.drop_coreferent)
            for doc_id, text, doc in zip(job.ids, job.texts, result.docs, strict=True)
        ]

    @staticmethod
    def _check(request: Any) -> None:
        if isinstance(request, Undecodable):
            raise validation.undecodable(request.message, request.problem)

    # -- RPCs ----------------------------------------------------------------------------

    async def _answer(
        self, request: Any, validate: Callable[[Any, validation.Limits], validation.Job], context: Context
    ) -> tuple[list[pb.ExtractResponse], str]:
        """Validate, pin, run and convert one unary request; any RequestError becomes its status."""
        try:
            self._check(request)
            job = validate(request, self._limits)
            published = self._published()
            job = validation.with_rule_set(job, published.compiled.spec.types)
            result = await self._run(published, job, context)
        except RequestError as error:
            await self._fail(context, error)
            raise
        return self._responses(job, result, published.version), published.version

    async def Extract(self, request: pb.ExtractRequest, context: Context) -> pb.ExtractResponse:
        responses, _ = await self._answer(request, validation.single, context)
        return responses[0]

    async def BatchExtract(self, request: pb.BatchExtractRequest, context: Context) -> pb.BatchExtractResponse:
        responses, version = await self._answer(request, validation.batch, context)
        return pb.BatchExtractResponse(results=responses, rule_set_version=version)

    async def StreamExtract(
        self, requests: AsyncIterator[pb.StreamExtractRequest], context: Context
    ) -> AsyncIterator[pb.StreamExtractResponse]:
        """Micro-batches what has already arrived, keeps up to one batch per worker in flight,
        and answers strictly in order. The bounded queue gives back-pressure to the sender.

        A stream holds a concurrency slot only while a batch of it runs, and one that sends
        nothing for `stream_idle` seconds while nothing of it runs is closed (DEADLINE_EXCEEDED)."""
        queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=self._stream_batch * 2)
        end = object()

        async def read() -> None:
            async for item in requests:
                await queue.put(item)
            await queue.put(end)

        workers = self._runtime.pool.size if self._runtime.pool else 1
        reader = asyncio.create_task(read())
        pending: deque[asyncio.Task[list[pb.ExtractResponse]]] = deque()
        finished = False
        index = 0
        try:
            while not finished or pending:
                while not finished and len(pending) < workers:
                    if not pending:
                        items = [await self._idle_get(queue)]
                    else:
                        items = [queue.get_nowait()] if not queue.empty() else []
                    if not items:
                        break
                    while len(items) < self._stream_batch and not queue.empty() and items[-1] is not end:
                        items.append(queue.get_nowait())
                    if items[-1] is end:
                        finished = True
                        items.pop()
                    if items:
                        pending.append(asyncio.create_task(self._stream_batch_job(items, index, context)))
                        index += len(items)
                if pending:
                    for response in await pending.popleft():
                        yield pb.StreamExtractResponse(result=response)
        except RequestError as error:
            await self._fail(context, error)
        finally:
            reader.cancel()
            for task in pending:
                task.cancel()

    async def _idle_get(self, queue: asyncio.Queue[Any]) -> Any:
        try:
            return await asyncio.wait_for(queue.get(), self._stream_idle)
        except TimeoutError:
            raise RequestError(E.S206, seconds=self._stream_idle) from None

    async def _stream_run(self, published: Published, job: validation.Job, context: Context) -> BatchResult:
        """`_run` holding one of the server's concurrency slots (a unary call holds its own)."""
        peer = str(context.peer())
        refused = self._admission.acquire(peer)
        if refused is not None:
            raise RequestError(refused, limit=self._admission.limit_for(refused))
        try:
            return await self._run(published, job, context)
        finally:
            self._admission.release(peer)

    async def _stream_batch_job(self, items: Sequence[Any], first: int, context: Context) -> list[pb.ExtractResponse]:
        """Validate and run one micro-batch; all its items share one pinned version."""
        jobs = []
        for offset, item in enumerate(items):
            try:
                self._check(item)
                jobs.append(validation.single(item, self._limits))
            except RequestError as error:
                raise _in_stream(first + offset, error) from None
        published = self._published()
        for offset, job in enumerate(jobs):
            try:
                jobs[offset] = validation.with_rule_set(job, published.compiled.spec.types)
            except RequestError as error:
                raise _in_stream(first + offset, error) from None
        # Documents with the same filter and encoding go to the worker together.
        groups: dict[tuple[frozenset[str] | None, int, bool], list[int]] = {}
        for i, job in enumerate(jobs):
            groups.setdefault((job.types, job.encoding, job.drop_coreferent), []).append(i)
        by_index: dict[int, pb.ExtractResponse] = {}
        for (types, encoding, drop), indexes in groups.items():
            merged = validation.Job(
                tuple(jobs[i].ids[0] for i in indexes), tuple(jobs[i].texts[0] for i in indexes), types, encoding, drop
            )
            result = await self._stream_run(published, merged, context)
            for i, response in zip(indexes, self._responses(merged, result, published.version), strict=True):
                by_index[i] = response
        return [by_index[i] for i in range(len(jobs))]

    async def GetRuleSet(self, request: pb.GetRuleSetRequest, context: Context) -> pb.GetRuleSetResponse:
        manager = self._runtime.manager
        if manager is None:
            return pb.GetRuleSetResponse(pipeline=pb.PipelineInfo(model=self._model))
        current = manager.current
        response = pb.GetRuleSetResponse(
            last_reload=reload_status(manager.last_reload), rules_dir=str(manager.rules_dir)
        )
        meta = manager.nlp.meta
        response.pipeline.CopyFrom(
            pb.PipelineInfo(
                model=self._model, model_version=str(meta.get("version", "")),
                spacy_version=spacy_about.__version__,
            )
        )  # fmt: skip
        if current is None:
            return response
        response.version = current.version
        response.loaded_at.CopyFrom(_timestamp(current.loaded_at))
        response.pipeline.active_components.extend(current.compiled.plan.active)
        response.pipeline.disabled_components.extend(current.compiled.plan.disabled)
        for rule in current.compiled.spec.rules:
            response.rules.append(
                pb.RuleInfo(
                    id=rule.id, event_type=type_value(rule.event), file=rule.file, line=rule.line,
                    status=RULE_STATUS[rule.status], description=rule.description,
                    priority=rule.priority, confidence=rule.confidence, event_label=rule.event,
                )
            )  # fmt: skip
        response.event_types.extend(type_info(t) for t in current.compiled.spec.types.values())
        return response

    async def ReloadRules(self, request: pb.ReloadRulesRequest, context: Context) -> pb.ReloadRulesResponse:
        try:
            self._authorize(context, self._admin.enabled, E.S203)
            manager = self._ready()[0]
        except RequestError as error:
            await self._fail(context, error)
            raise
        before = manager.current
        outcome = await asyncio.to_thread(manager.reload, True)
        after = manager.current
        return pb.ReloadRulesResponse(
            changed=bool(after and (before is None or before.version != after.version)),
            version=after.version if after else "", status=reload_status(outcome),
        )  # fmt: skip

    async def Explain(self, request: pb.ExplainRequest, context: Context) -> pb.ExplainResponse:
        """Tokens, candidates and their fates, near misses: see `service.api.explaining`."""
        try:
            self._check(request)
            explaining.validate(request, self._limits)
            if request.draft_yaml:
                self._authorize(context, self._admin.drafts, E.S209)
            published = self._published()
            manager = self._ready()[0]
            return await asyncio.to_thread(explaining.run, request, manager, published.compiled)
        except RequestError as error:
            await self._fail(context, error)
            raise

    def _authorize(self, context: Context, enabled: bool, disabled: E) -> None:
        """Admin calls and drafts: refused with `disabled` when off, then a token or mTLS peer."""
        if not enabled:
            raise RequestError(disabled)
        if self._admin.mtls and context.peer_identities():
            return
        metadata = dict(context.invocation_metadata() or ())
        given = str(metadata.get("authorization", "")).removeprefix("Bearer ").strip()
        if self._admin.token and given and hmac.compare_digest(given, self._admin.token):
            return
        raise RequestError(E.S204)
