"""One settings object for every command: flags, each backed by a `SITREP_*` environment variable."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from service.engine.pipeline import DEFAULT_MODEL


@dataclass(frozen=True)
class Settings:
    rules: Path = Path("rules")
    host: str = "[::]"
    port: int = 50051
    metrics_port: int = 9464
    http_port: int = -1
    model: str = DEFAULT_MODEL
    workers: int = os.cpu_count() or 1
    max_text_bytes: int = 1_000_000
    max_batch: int = 256
    max_concurrent_rpcs: int = 256
    max_rpcs_per_peer: int = 0
    max_call_seconds: float = 300.0
    batch_delay_ms: float = 2.0
    stream_idle_timeout: float = 60.0
    max_message_bytes: int = 64 * 1024 * 1024
    max_connection_age: float = 300.0
    grace_period: float = 20.0
    poll_interval: float = 5.0
    watch: bool = True
    debounce_ms: int = 300
    tls_cert: str = ""
    tls_key: str = ""
    tls_client_ca: str = ""
    enable_admin: bool = False
    admin_token: str = ""
    enable_drafts: bool = False
    log_level: str = "INFO"


HELP = {
    "rules": "rules directory (read recursively)",
    "host": "address to bind the gRPC server to",
    "port": "gRPC port (0 picks a free one)",
    "metrics_port": "Prometheus /metrics port (0 picks a free one, -1 disables)",
    "http_port": "rule playground page and its JSON gateway on this port (0 picks a free one, -1 disables)",
    "model": "spaCy model: package name, path, or blank:en",
    "workers": "extraction worker processes (default: number of cores)",
    "max_text_bytes": "largest document text accepted, in UTF-8 bytes",
    "max_batch": "most documents in one BatchExtract",
    "max_concurrent_rpcs": "extraction RPCs handled at once; more get RESOURCE_EXHAUSTED",
    "max_rpcs_per_peer": "extraction RPCs one connection may have in flight (0: half of --max-concurrent-rpcs)",
    "max_call_seconds": "deadline for extraction calls that set none (a worker past it is replaced)",
    "batch_delay_ms": "gather single-document Extract calls for up to this long into one spaCy batch (0: off)",
    "stream_idle_timeout": "seconds a StreamExtract may send nothing while none of its work runs",
    "max_message_bytes": "largest gRPC message received or sent",
    "max_connection_age": "seconds before a connection is recycled, so clients rebalance",
    "grace_period": "seconds in-flight calls get to finish on SIGTERM",
    "poll_interval": "seconds between content-hash polls of the rules directory (0 disables)",
    "watch": "watch the rules directory for changes (inotify); --no-watch for poll only",
    "debounce_ms": "quiet time after a burst of file changes before reloading",
    "tls_cert": "server certificate (PEM); enables TLS",
    "tls_key": "server private key (PEM)",
    "tls_client_ca": "CA bundle for client certificates; enables mutual TLS",
    "enable_admin": "serve the ReloadRules admin RPC (needs mTLS or --admin-token)",
    "admin_token": "bearer token for the admin RPC",
    "enable_drafts": "let Explain run draft rule packs (with the admin RPC's credentials)",
    "log_level": "logging level",
}


def add_arguments(parser: argparse.ArgumentParser, only: tuple[str, ...] | None = None) -> None:
    """Add a flag per setting; the default comes from SITREP_<NAME> if set."""
    for f in fields(Settings):
        if only is not None and f.name not in only:
            continue
        env = f"SITREP_{f.name.upper()}"
        default: Any = f.default
        raw = os.environ.get(env)
        flag = "--" + f.name.replace("_", "-")
        if isinstance(default, bool):
            value = default if raw is None else raw.lower() in {"1", "true", "yes", "on"}
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=value,
                                help=f"{HELP[f.name]} [{env}]")  # fmt: skip
            continue
        kind = type(default)
        value = default if raw is None else kind(raw)
        parser.add_argument(flag, type=kind, default=value, help=f"{HELP[f.name]} [{env}] (default: {value})")


def from_args(args: argparse.Namespace) -> Settings:
    known = {f.name for f in fields(Settings)}
    return Settings(**{k: v for k, v in vars(args).items() if k in known})
