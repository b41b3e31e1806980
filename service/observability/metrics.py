"""Every metric the service exports, defined once.

gRPC metrics follow go-grpc-prometheus names and labels so existing dashboards work. Workers
hold no metrics: the front process records the counts each worker returns, so prometheus-client
runs in its plain single-process mode and values from all workers are summed by construction.
Label values are bounded: rule ids, event types (built-in, or declared by the serving pack),
stages, gRPC method names; never document ids.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)

from service.engine.extractor import STAGES, BatchResult
from service.events.registry import BUILTIN
from service.reload.manager import Published, ReloadOutcome

GRPC_LABELS = ("grpc_type", "grpc_service", "grpc_method")
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self._event_type: dict[str, str] = {}
        self._declared: set[str] = set()  # types the serving pack declares, each with an events series
        r = self.registry
        ProcessCollector(registry=r)
        PlatformCollector(registry=r)
        GCCollector(registry=r)
        self.started = Counter("grpc_server_started_total", "RPCs started.", GRPC_LABELS, registry=r)
        self.handled = Counter(
            "grpc_server_handled_total", "RPCs completed, by status code.", (*GRPC_LABELS, "grpc_code"), registry=r
        )
        self.received = Counter("grpc_server_msg_received_total", "Stream messages received.", GRPC_LABELS, registry=r)
        self.sent = Counter("grpc_server_msg_sent_total", "Stream messages sent.", GRPC_LABELS, registry=r)
        self.latency = Histogram(
            "grpc_server_handling_seconds", "RPC handling time.", GRPC_LABELS, buckets=LATENCY_BUCKETS, registry=r
        )
        self.inflight = Gauge("sitrep_inflight_requests", "RPCs being handled now.", registry=r)
        self.documents = Counter("sitrep_documents_processed", "Documents extracted.", registry=r)
        self.tokens = Counter("sitrep_tokens_processed", "Tokens processed.", registry=r)
        self.doc_bytes = Histogram(
            "sitrep_document_bytes", "Document size in UTF-8 bytes.",
            buckets=(256, 1024, 4096, 16384, 65536, 262144, 1048576), registry=r,
        )  # fmt: skip
        self.stage = Histogram(
            "sitrep_stage_seconds", "Time per pipeline stage per batch.", ("stage",),
            buckets=LATENCY_BUCKETS, registry=r,
        )  # fmt: skip
        self.hits = Counter(
            "sitrep_rule_hits", "Rule matches (before resolution).", ("rule_id", "event_type"), registry=r
        )
        self.suppressed = Counter(
            "sitrep_rule_suppressed", "Candidates that lost overlap resolution.", ("rule_id",), registry=r
        )
        self.rule_cpu = Counter(
            "sitrep_rule_cpu_seconds", "Worker CPU time per rule: dependency matching and candidate growth.",
            ("rule_id",), registry=r,
        )  # fmt: skip
        self.events = Counter("sitrep_events_emitted", "Events returned to callers.", ("event_type",), registry=r)
        self.rules_loaded = Gauge("sitrep_rules_loaded", "Rules in the serving rule set.", registry=r)
        self.rule_set = Gauge(
            "sitrep_rule_set_info", "The serving rule-set version (value 1).", ("version",), registry=r
        )
        self.reloads = Counter("sitrep_rules_reload", "Rule reload attempts.", ("result",), registry=r)
        self.reload_ok = Gauge("sitrep_rules_last_reload_success", "1 if the last reload succeeded.", registry=r)
        self.reload_time = Gauge(
            "sitrep_rules_last_reload_timestamp_seconds", "When the last reload was attempted.", registry=r
        )
        self.workers = Gauge("sitrep_workers", "Extraction worker processes.", registry=r)
        self.worker_deaths = Counter(
            "sitrep_worker_deaths", "Workers that died or were killed (overran a deadline, stopped).",
            ("reason",), registry=r,
        )  # fmt: skip
        for stage in STAGES:
            self.stage.labels(stage)
        for kind in BUILTIN:
            self.events.labels(kind)
        for result in ("success", "failure"):
            self.reloads.labels(result)
        for reason in ("died", "overran", "stopped"):
            self.worker_deaths.labels(reason)

    def initialise_rpc(self, labels: tuple[str, str, str], codes: Iterable[str]) -> None:
        """Create one RPC's series at 0, so its first call or first error shows in rate()."""
        self.started.labels(*labels)
        self.received.labels(*labels)
        self.sent.labels(*labels)
        self.latency.labels(*labels)
        for code in codes:
            self.handled.labels(*labels, code)

    def record_batch(self, result: BatchResult, texts: Sequence[str], types: dict[str, int]) -> None:
        """Record what a worker did for one request."""
        self.documents.inc(len(result.docs))
        for text, doc in zip(texts, result.docs, strict=False):
            self.tokens.inc(doc.tokens)
            self.doc_bytes.observe(len(text.encode("utf-8", "surrogatepass")))
            for rule_id, count in doc.hits.items():
                self.hits.labels(rule_id, self._event_type.get(rule_id, "unknown")).inc(count)
            for lost in doc.suppressed:
                self.suppressed.labels(lost.rule_id).inc()
        for stage, seconds in result.stage_seconds.items():
            self.stage.labels(stage).observe(seconds)
        for rule_id, seconds in result.rule_seconds.items():
            self.rule_cpu.labels(rule_id).inc(seconds)
        for kind, count in types.items():
            self.events.labels(kind).inc(count)

    def on_reload(self, outcome: ReloadOutcome, current: Published | None) -> None:
        """Reload listener: outcome metrics, and a zero series for every known rule and declared
        event type.

        Series of rules and types the new set no longer has are removed, so a deleted rule does not
        linger in "rules with zero hits".
        """
        self.reloads.labels("success" if outcome.success else "failure").inc()
        self.reload_ok.set(1 if outcome.success else 0)
        self.reload_time.set(outcome.at)
        if current is None:
            return
        rules = current.compiled.spec.rules
        known: dict[str, str] = {rule.id: rule.event for rule in rules}
        for rule_id, event in self._event_type.items():
            if known.get(rule_id) != event:
                self.hits.remove(rule_id, event)
            if rule_id not in known:
                self.suppressed.remove(rule_id)
                self.rule_cpu.remove(rule_id)
        self._event_type = known
        self.rules_loaded.set(len(rules))
        self.rule_set.clear()
        self.rule_set.labels(current.version).set(1)
        for rule in rules:
            self.hits.labels(rule.id, rule.event)
            self.suppressed.labels(rule.id)
            self.rule_cpu.labels(rule.id)
        declared = {event_type.name for event_type in current.compiled.spec.event_types}
        for gone in self._declared - declared:
            self.events.remove(gone)
        for name in declared:
            self.events.labels(name)
        self._declared = declared
