"""A thin typed wrapper over the generated `sitrep.v1.ExtractionService` stub.

It adds what every caller otherwise repeats: a channel with TLS or mutual TLS, a bearer token on
every call, a default deadline, and a gRPC retry policy (service config) that retries
`UNAVAILABLE` (a worker died, a pod went away, the server is not ready yet) with backoff.
Everything else (requests, responses, errors) is the generated protobuf API, unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypedDict

if TYPE_CHECKING:  # annotations only (postponed): no runtime dependency on typing_extensions
    from typing_extensions import Unpack

import grpc

from sitrep_client.proto.sitrep.v1 import extraction_pb2 as pb
from sitrep_client.proto.sitrep.v1 import extraction_pb2_grpc as pbg

SERVICE = "sitrep.v1.ExtractionService"
# A document to send: its text alone (id = its position, as a string) or an (id, text) pair.
DocumentLike = str | tuple[str, str]


def service_config(max_attempts: int, round_robin: bool) -> str:
    """The channel's service config: retry UNAVAILABLE on every method, optionally round-robin."""
    config: dict[str, Any] = {
        "methodConfig": [
            {
                "name": [{"service": SERVICE}],
                "retryPolicy": {
                    "maxAttempts": max_attempts,
                    "initialBackoff": "0.2s",
                    "maxBackoff": "5s",
                    "backoffMultiplier": 2,
                    "retryableStatusCodes": ["UNAVAILABLE"],
                },
            }
        ]
    }
    if round_robin:
        config["loadBalancingConfig"] = [{"round_robin": {}}]
    return json.dumps(config)


class Options(TypedDict, total=False):
    """What every extraction call may ask for; the keys are the request fields of the same names."""

    event_types: Sequence[pb.EventType.ValueType]  # only these built-in types
    event_labels: Sequence[str]  # only these rule-declared types (CustomEvent labels)
    offset_encoding: pb.OffsetEncoding.ValueType  # default: code points (Python string indices)
    drop_coreferent: bool  # leave out re-mentions (Event.coreferent_of) of events already returned


def _fields(options: Options) -> dict[str, Any]:
    """The request fields of `options`, offsets in code points unless asked otherwise."""
    return {"offset_encoding": pb.OFFSET_ENCODING_CODE_POINT, **options}


def _documents(documents: Iterable[DocumentLike]) -> Iterator[pb.Document]:
    for n, item in enumerate(documents):
        doc_id, text = (str(n), item) if isinstance(item, str) else item
        yield pb.Document(id=doc_id, text=text)


class Client:
    """`Client("host:port")`; `tls=True` (or any certificate) for TLS, a client key pair for mTLS.

    `timeout` is the default deadline of every call in seconds (each method takes its own too);
    `max_attempts` counts the first try (1 turns retries off); `round_robin` balances calls over
    every address a `dns:///` target resolves to (Kubernetes headless Service).
    """

    def __init__(
        self,
        target: str,
        *,
        tls: bool = False,
        root_certificates: bytes | None = None,
        private_key: bytes | None = None,
        certificate_chain: bytes | None = None,
        token: str | None = None,
        timeout: float = 30.0,
        max_attempts: int = 4,
        round_robin: bool = False,
        options: Sequence[tuple[str, Any]] = (),
    ) -> None:
        channel_options = [
            ("grpc.enable_retries", 1),
            ("grpc.service_config", service_config(max_attempts, round_robin)),
            *options,
        ]
        if tls or root_certificates or private_key or certificate_chain:
            credentials = grpc.ssl_channel_credentials(root_certificates, private_key, certificate_chain)
            self._channel = grpc.secure_channel(target, credentials, options=channel_options)
        else:
            self._channel = grpc.insecure_channel(target, options=channel_options)
        self._stub = pbg.ExtractionServiceStub(self._channel)
        self._metadata = (("authorization", f"Bearer {token}"),) if token else ()
        self.timeout = timeout

    def extract(
        self, text: str, *, id: str = "", timeout: float | None = None, **options: Unpack[Options]
    ) -> pb.ExtractResponse:
        """The events of one document; offsets in code points (Python string indices) by default."""
        request = pb.ExtractRequest(document=pb.Document(id=id, text=text), **_fields(options))
        reply: pb.ExtractResponse = self._stub.Extract(
            request, timeout=self._deadline(timeout), metadata=self._metadata
        )
        return reply

    def batch_extract(
        self, documents: Iterable[DocumentLike], *, timeout: float | None = None, **options: Unpack[Options]
    ) -> pb.BatchExtractResponse:
        """One call for up to the server's `--max-batch` (256) documents, answered in order."""
        request = pb.BatchExtractRequest(documents=list(_documents(documents)), **_fields(options))
        reply: pb.BatchExtractResponse = self._stub.BatchExtract(
            request, timeout=self._deadline(timeout), metadata=self._metadata
        )
        return reply

    def stream(
        self, documents: Iterable[DocumentLike], *, timeout: float | None = None, **options: Unpack[Options]
    ) -> Iterator[pb.ExtractResponse]:
        """Any number of documents over one StreamExtract call; results come back in order.

        The deadline covers the whole stream, so pass a larger `timeout` for long inputs.
        """
        fields = _fields(options)
        requests = (pb.StreamExtractRequest(document=document, **fields) for document in _documents(documents))
        for reply in self._stub.StreamExtract(requests, timeout=self._deadline(timeout), metadata=self._metadata):
            yield reply.result

    def rule_set(self, *, timeout: float | None = None) -> pb.GetRuleSetResponse:
        """The serving rule set: version, rules with file:line, pipeline, last reload."""
        reply: pb.GetRuleSetResponse = self._stub.GetRuleSet(
            pb.GetRuleSetRequest(), timeout=self._deadline(timeout), metadata=self._metadata
        )
        return reply

    def _deadline(self, timeout: float | None) -> float:
        return self.timeout if timeout is None else timeout

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
