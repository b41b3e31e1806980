"""Start the real `sitrep serve` as a subprocess on free loopback ports, for tests."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from service.proto.sitrep.v1 import extraction_pb2 as pb
from service.proto.sitrep.v1 import extraction_pb2_grpc as pbg

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "ukraine-2022-03-30.txt"
# A small real pack (an attack and a casualty rule) for tests that must not depend on rules/.
BASIC_RULES = (ROOT / "tests" / "data" / "rules" / "basic.yaml").read_text(encoding="utf-8")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningServer:
    process: subprocess.Popen[bytes]
    port: int
    metrics_port: int
    log_path: Path

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def channel(self) -> grpc.Channel:
        return grpc.insecure_channel(self.target)

    def metric(self, name: str) -> float:
        """The value of an unlabelled sample on the server's /metrics (a gauge or a counter)."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=10) as reply:
            for line in reply.read().decode().splitlines():
                if line.startswith(name + " "):
                    return float(line.split()[1])
        raise KeyError(name)

    def wait_metric(self, name: str, at_least: float, timeout: float = 30.0) -> None:
        deadline = time.time() + timeout
        while self.metric(name) < at_least:
            if time.time() > deadline:
                raise TimeoutError(f"{name} stayed below {at_least} for {timeout}s")
            time.sleep(0.05)

    def worker_pids(self) -> list[int]:
        """The extraction workers: spawned children (the multiprocessing resource tracker is not one)."""
        return [pid for pid in children(self.process.pid) if b"spawn_main" in _read(f"/proc/{pid}/cmdline")]

    def rss_bytes(self) -> int:
        """Resident memory of the server and all its descendants."""
        return rss_bytes([self.process.pid, *descendants(self.process.pid)])


class ExtractLoad:
    """Closed-loop `Extract` calls of one text on `threads` threads while its `with` block runs:
    each failure goes to `errors` ("CODE: details"), each reply to `on_reply` (called on the
    callers' threads, at once), and `calls` counts the replies."""

    def __init__(
        self, server: RunningServer, text: str, on_reply: Callable[[pb.ExtractResponse], None], threads: int = 4
    ) -> None:
        self.errors: list[str] = []
        self.calls = 0
        self._server, self._text, self._on_reply = server, text, on_reply
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run) for _ in range(threads)]

    def _run(self) -> None:
        with self._server.channel() as channel:
            stub = pbg.ExtractionServiceStub(channel)
            while not self._stop.is_set():
                try:
                    reply = stub.Extract(pb.ExtractRequest(document=pb.Document(text=self._text)), timeout=30)
                except grpc.RpcError as exc:
                    self.errors.append(f"{exc.code()}: {exc.details()}")
                    continue
                self.calls += 1
                self._on_reply(reply)

    def __enter__(self) -> ExtractLoad:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()


def raw_unary(channel: grpc.Channel, method: str) -> grpc.UnaryUnaryMultiCallable[bytes, bytes]:
    """An ExtractionService method that sends and returns bytes as they are (no (de)serialising)."""
    return channel.unary_unary(f"/sitrep.v1.ExtractionService/{method}")


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return b""


def children(pid: int) -> list[int]:
    """Live child processes of `pid`, from the parent field of /proc/<pid>/stat."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _read(f"/proc/{entry.name}/stat").rsplit(b")", 1)[-1].split()
            if len(stat) > 1 and int(stat[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


def descendants(pid: int) -> list[int]:
    found = children(pid)
    return found + [grandchild for child in found for grandchild in descendants(child)]


def rss_bytes(pids: Iterable[int]) -> int:
    page = os.sysconf("SC_PAGE_SIZE")
    return sum(int((_read(f"/proc/{pid}/statm").split() or [b"0", b"0"])[1]) * page for pid in pids)


def wait_serving(target: str, timeout: float = 240.0, credentials: grpc.ChannelCredentials | None = None) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        channel = grpc.secure_channel(target, credentials) if credentials else grpc.insecure_channel(target)
        with channel:
            try:
                reply = health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(service="sitrep.v1.ExtractionService"), timeout=2
                )
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                pass
        time.sleep(0.3)
    raise TimeoutError(f"server at {target} not SERVING after {timeout}s")


def terminate(process: subprocess.Popen[bytes], timeout: float) -> None:
    """SIGTERM a child still running, as Kubernetes would; SIGKILL it if it outlives `timeout`."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def run_server(
    rules: Path, *extra: str, workers: int = 1, log_dir: Path | None = None,
    credentials: grpc.ChannelCredentials | None = None, wait: bool = True,
) -> Iterator[RunningServer]:  # fmt: skip
    """A real server process; stopped with SIGTERM (and checked to exit) when the block ends."""
    port, metrics_port = free_port(), free_port()
    log_path = (log_dir or Path(os.environ.get("TMPDIR", "/tmp"))) / f"sitrep-{port}.log"
    cmd = [
        sys.executable, "-m", "service.cli", "serve", "--rules", str(rules), "--host", "127.0.0.1",
        "--port", str(port), "--metrics-port", str(metrics_port), "--workers", str(workers),
        "--grace-period", "5", *extra,
    ]  # fmt: skip
    with open(log_path, "wb") as log:
        process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    server = RunningServer(process, port, metrics_port, log_path)
    try:
        if wait:
            wait_serving(server.target, credentials=credentials)
        yield server
    finally:
        terminate(process, timeout=30)
