"""The container image, built and run for real (`make image-test`; marker `image`, not in `make test`).

The end-to-end test builds the Dockerfile of the committed tree (`git archive HEAD`: work in
progress elsewhere in the checkout, such as a rule being edited, stays out) with
scripts/build_image.py (layers cached after the first build), runs the image read-only with podman
(or docker) on host networking and checks: the process is uid 10001 and cannot write its root
filesystem, health turns SERVING, `Extract` of the seed returns the same events as `sitrep extract`
from the same tree, `/metrics` counts that call, and SIGTERM exits 0. It prints the image size and
timings. `SITREP_IMAGE` names the image (default localhost/sitrep:0.1.0). A fast test of how the
build passes this machine's pip settings in runs with `make test`.
"""

from __future__ import annotations

import configparser
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from google.protobuf import json_format
from sitrep_client import Client

from tests.server import ROOT, SEED, free_port, wait_serving

IMAGE = os.environ.get("SITREP_IMAGE", "localhost/sitrep:0.1.0")
# Explicit limits: rootful podman's defaults (1M open files, 32k processes) exceed what sandboxed
# hosts allow the runtime to set. Host networking: no bridge networking needed on the test machine.
RUN_ARGS = os.environ.get(
    "SITREP_CONTAINER_RUN_ARGS", "--ulimit nofile=4096:4096 --ulimit nproc=4096:4096 --network host"
).split()
UID = "10001"


def _engine() -> str:
    engine = shutil.which("podman") or shutil.which("docker")
    assert engine, "podman or docker is needed: apt-get install buildah podman runc mmdebstrap"
    return engine


def _run(*cmd: str, timeout: float = 120) -> str:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, f"{' '.join(cmd)}: {done.stderr}"
    return done.stdout.strip()


def _logs(engine: str, cid: str) -> str:
    """The container's output (the server logs to stderr)."""
    done = subprocess.run(
        [engine, "logs", cid], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False
    )
    return done.stdout


@dataclass
class Container:
    engine: str
    id: str
    port: int
    metrics_port: int
    started: float

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def exec_python(self, code: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.engine, "exec", self.id, "python", "-c", code],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )


@dataclass
class Built:
    tree: Path  # the committed tree the image was built from
    seconds: float


def test_build_mounts_this_machines_pip_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fast (no build, part of `make test`): the merged pip.conf and the local paths to mount."""
    spec = importlib.util.spec_from_file_location("build_image", ROOT / "scripts" / "build_image.py")
    assert spec and spec.loader
    build_image = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build_image)

    (tmp_path / "wheels").mkdir()
    (tmp_path / "index" / "simple").mkdir(parents=True)
    (tmp_path / "ca.pem").write_text("")
    conf = tmp_path / "pip.conf"
    conf.write_text(
        f"[global]\nfind-links = {tmp_path / 'wheels'}\n"
        f"extra-index-url = file://{tmp_path / 'index' / 'simple'} https://pypi.example.invalid/simple\n"
        f"[install]\nno-compile = yes\n"
    )
    monkeypatch.setenv("PIP_CONFIG_FILE", str(conf))
    monkeypatch.setenv("PIP_CERT", str(tmp_path / "ca.pem"))
    text, paths = build_image.pip_settings(str(Path(sys.executable).parent / "pip"))
    merged = configparser.ConfigParser(interpolation=None)
    merged.read_string(text)
    assert merged["global"]["cert"] == str(tmp_path / "ca.pem")  # a PIP_* variable becomes a setting
    assert "https://pypi.example.invalid/simple" in merged["global"]["extra-index-url"]
    assert merged["install"]["no-compile"] == "yes"
    # The local ones are mounted (an index's root, whose files its pages link to); URLs are not.
    assert {tmp_path / "wheels", tmp_path / "index", tmp_path / "ca.pem"} <= set(paths)
    assert all(p.exists() for p in paths)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """Build (or bring up to date) the image from HEAD; layers are cached between runs."""
    tree = tmp_path_factory.mktemp("head")
    archive = subprocess.run(["git", "archive", "--format=tar", "HEAD"], cwd=ROOT, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    started = time.monotonic()
    build = [sys.executable, str(ROOT / "scripts" / "build_image.py"), "--tag", IMAGE, "--context", str(tree)]
    subprocess.run(build, check=True, timeout=3000)
    return Built(tree, time.monotonic() - started)


@pytest.fixture(scope="module")
def container(built: Built) -> Iterator[Container]:
    engine = _engine()
    port, metrics_port = free_port(), free_port()
    started = time.monotonic()
    cid = _run(
        engine, "run", "--detach", "--read-only", *RUN_ARGS, IMAGE,
        "--port", str(port), "--metrics-port", str(metrics_port), "--workers", "1",
    )  # fmt: skip
    try:
        yield Container(engine, cid, port, metrics_port, started)
    finally:
        subprocess.run([engine, "rm", "--force", cid], capture_output=True, check=False, timeout=60)


@pytest.mark.image
@pytest.mark.timeout(3600)
def test_image_end_to_end(built: Built, container: Container) -> None:
    engine, cid = container.engine, container.id
    assert _run(engine, "image", "inspect", "--format", "{{.Config.User}}", IMAGE) == f"{UID}:{UID}"
    assert json.loads(_run(engine, "image", "inspect", "--format", "{{json .Config.Entrypoint}}", IMAGE)) == [
        "sitrep",
        "serve",
    ]

    try:
        wait_serving(container.target, timeout=180)
    except TimeoutError:
        pytest.fail(f"not SERVING; container log:\n{_logs(engine, cid)[-3000:]}")
    serving_after = time.monotonic() - container.started

    # Non-root, read-only root filesystem; /tmp (the runtime's tmpfs) stays writable for the server.
    ids = container.exec_python("import os; print(os.getuid(), os.getgid())")
    assert ids.stdout.split() == [UID, UID], ids.stderr
    assert _run(engine, "inspect", "--format", "{{.HostConfig.ReadonlyRootfs}}", cid) == "true"
    for path in ("/app/rules/new.yaml", "/opt/venv/x", "/etc/x"):
        write = container.exec_python(f"open({path!r}, 'w')")
        assert write.returncode != 0 and "Read-only file system" in write.stderr, (path, write.stderr)
    assert container.exec_python("open('/tmp/x', 'w')").returncode == 0

    # Extract of the seed: exactly what `sitrep extract` gives with the same rules outside the image.
    seed = built.tree / SEED.relative_to(ROOT)
    text = seed.read_text(encoding="utf-8")
    with Client(container.target, timeout=120) as client:
        reply = client.extract(text, id=SEED.name)
    served = json_format.MessageToDict(
        reply, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )
    local = subprocess.run(
        [sys.executable, "-m", "service.cli", "extract", "--rules", "rules", str(seed)],
        cwd=built.tree,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )  # fmt: skip  (run from the same committed tree)
    assert local.returncode == 0, local.stderr
    assert served == json.loads(local.stdout)
    types = {event["type"] for event in served["events"]}
    assert {"EVENT_TYPE_CASUALTY", "EVENT_TYPE_STATEMENT", "EVENT_TYPE_ATTACK", "EVENT_TYPE_SIEGE"} <= types

    # /metrics from the container, counting that call.
    with urllib.request.urlopen(f"http://127.0.0.1:{container.metrics_port}/metrics", timeout=10) as scraped:
        metrics = scraped.read().decode()
    handled = [
        line
        for line in metrics.splitlines()
        if line.startswith("grpc_server_handled_total{")
        and 'grpc_method="Extract"' in line
        and 'grpc_code="OK"' in line
    ]
    assert handled and float(handled[0].split()[-1]) >= 1, handled

    # SIGTERM: drains and exits 0.
    stopping = time.monotonic()
    _run(engine, "kill", "--signal", "TERM", cid)
    assert _run(engine, "wait", cid, timeout=60) == "0"
    stopped_after = time.monotonic() - stopping
    assert "shutting down" in _logs(engine, cid)

    size = int(_run(engine, "image", "inspect", "--format", "{{.Size}}", IMAGE).split()[0])
    assert size < 1024**3, f"image grew to {size / 2**20:.0f} MiB"
    print(
        f"\nimage {IMAGE}: {size / 2**20:.0f} MiB; build (cached layers count) {built.seconds:.0f} s; "
        f"SERVING {serving_after:.1f} s after start; exit 0 {stopped_after:.1f} s after SIGTERM; "
        f"{len(served['events'])} events from the seed"
    )
