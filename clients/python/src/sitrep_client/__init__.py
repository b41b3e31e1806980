"""Python client for the Sitrep extraction service: `Client` and the generated `sitrep.v1` messages."""

from sitrep_client.client import Client, DocumentLike, Options
from sitrep_client.proto.sitrep.v1 import extraction_pb2 as pb

__all__ = ["Client", "DocumentLike", "Options", "pb"]
