"""TLS, mutual TLS and the admin RPC's credentials, with certificates made by the test.

Two real servers: TLS with the admin RPC behind a token, and mutual TLS with the admin RPC open
to any client whose certificate the client CA signed. Another CA signs the certificates that
must be refused. (Admin off by default is in test_api_e2e.py.)
"""

from __future__ import annotations

import datetime
import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from service.proto.sitrep.v1 import extraction_pb2 as pb
from service.proto.sitrep.v1 import extraction_pb2_grpc as pbg
from tests.server import ROOT, RunningServer, run_server

RULES = ROOT / "tests" / "data" / "rules"
TOKEN = "s3cret-admin-token"
EXTRACT = pb.ExtractRequest(document=pb.Document(id="t", text="Russian forces shelled Kharkiv."))


@dataclass(frozen=True)
class Issued:
    key: bytes
    cert: bytes


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _issue(subject: str, issuer: tuple[Issued, str] | None = None, *, ca: bool = False, server: bool = False) -> Issued:
    """A P-256 key and a one-day certificate, self-signed when there is no issuer."""
    key = ec.generate_private_key(ec.SECP256R1())
    if issuer is None:
        signer, issuer_name = key, _name(subject)
    else:
        signer = serialization.load_pem_private_key(issuer[0].key, None)  # type: ignore[assignment]
        issuer_name = _name(issuer[1])
    now = datetime.datetime.now(datetime.UTC)
    usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    if server:
        names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    cert = builder.sign(signer, hashes.SHA256())
    pem_key = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return Issued(pem_key, cert.public_bytes(serialization.Encoding.PEM))


@dataclass(frozen=True)
class PKI:
    ca: Issued
    server: Issued
    client: Issued
    stranger: Issued  # a client certificate from another CA
    files: dict[str, Path]

    def creds(self, client: Issued | None = None) -> grpc.ChannelCredentials:
        if client is None:
            return grpc.ssl_channel_credentials(root_certificates=self.ca.cert)
        return grpc.ssl_channel_credentials(self.ca.cert, client.key, client.cert)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PKI:
    ca, other_ca = _issue("sitrep test CA", ca=True), _issue("another CA", ca=True)
    server = _issue("sitrep server", (ca, "sitrep test CA"), server=True)
    client = _issue("backend client", (ca, "sitrep test CA"))
    stranger = _issue("stranger", (other_ca, "another CA"))
    directory = tmp_path_factory.mktemp("pki")
    files = {"ca": ca.cert, "cert": server.cert, "key": server.key}
    paths = {name: directory / f"{name}.pem" for name in files}
    for name, data in files.items():
        paths[name].write_bytes(data)
    return PKI(ca, server, client, stranger, paths)


@pytest.fixture(scope="module")
def tls_server(pki: PKI, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    flags = ("--tls-cert", str(pki.files["cert"]), "--tls-key", str(pki.files["key"]))
    with run_server(
        RULES, *flags, "--enable-admin", "--admin-token", TOKEN,
        log_dir=tmp_path_factory.mktemp("logs"), credentials=pki.creds(),
    ) as server:  # fmt: skip
        yield server


@pytest.fixture(scope="module")
def mtls_server(pki: PKI, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    flags = ("--tls-cert", str(pki.files["cert"]), "--tls-key", str(pki.files["key"]))
    with run_server(
        RULES, *flags, "--tls-client-ca", str(pki.files["ca"]), "--enable-admin",
        log_dir=tmp_path_factory.mktemp("logs"), credentials=pki.creds(pki.client),
    ) as server:  # fmt: skip
        yield server


def _code(channel: grpc.Channel, call: str = "Extract", **kwargs: object) -> grpc.StatusCode:
    stub = pbg.ExtractionServiceStub(channel)
    request = EXTRACT if call == "Extract" else pb.ReloadRulesRequest()
    try:
        getattr(stub, call)(request, timeout=60, **kwargs)
    except grpc.RpcError as error:
        return error.code()
    return grpc.StatusCode.OK


def test_tls_client_trusting_the_ca_is_served(tls_server: RunningServer, pki: PKI) -> None:
    with grpc.secure_channel(tls_server.target, pki.creds()) as channel:
        reply = pbg.ExtractionServiceStub(channel).Extract(EXTRACT, timeout=60)
    assert reply.document_id == "t" and reply.rule_set_version


def test_plaintext_client_to_tls_server_fails(tls_server: RunningServer) -> None:
    with tls_server.channel() as channel:
        assert _code(channel) == grpc.StatusCode.UNAVAILABLE


def test_client_trusting_another_ca_fails(tls_server: RunningServer) -> None:
    other = _issue("unrelated CA", ca=True)
    with grpc.secure_channel(tls_server.target, grpc.ssl_channel_credentials(other.cert)) as channel:
        assert _code(channel) == grpc.StatusCode.UNAVAILABLE


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        ((), grpc.StatusCode.UNAUTHENTICATED),
        ((("authorization", "Bearer wrong-token"),), grpc.StatusCode.UNAUTHENTICATED),
        ((("authorization", TOKEN[:-1]),), grpc.StatusCode.UNAUTHENTICATED),
        ((("authorization", f"Bearer {TOKEN}"),), grpc.StatusCode.OK),
    ],
)
def test_admin_reload_needs_the_token(
    tls_server: RunningServer, pki: PKI, metadata: tuple[tuple[str, str], ...], expected: grpc.StatusCode
) -> None:
    with grpc.secure_channel(tls_server.target, pki.creds()) as channel:
        assert _code(channel, "ReloadRules", metadata=metadata) == expected


def test_mtls_client_certificate_is_served_and_may_reload(mtls_server: RunningServer, pki: PKI) -> None:
    with grpc.secure_channel(mtls_server.target, pki.creds(pki.client)) as channel:
        stub = pbg.ExtractionServiceStub(channel)
        assert stub.Extract(EXTRACT, timeout=60).rule_set_version
        reply = stub.ReloadRules(pb.ReloadRulesRequest(), timeout=120)
    assert reply.status.success and reply.version


@pytest.mark.parametrize("client", ["none", "stranger"])
def test_mtls_refuses_clients_without_a_valid_certificate(mtls_server: RunningServer, pki: PKI, client: str) -> None:
    creds = pki.creds(pki.stranger if client == "stranger" else None)
    with grpc.secure_channel(mtls_server.target, creds) as channel:
        assert _code(channel) == grpc.StatusCode.UNAVAILABLE
        assert _code(channel, "ReloadRules") == grpc.StatusCode.UNAVAILABLE
