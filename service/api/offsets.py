"""Code-point offsets → the caller's encoding, in one place.

Workers compute code points; a Go caller slices UTF-8 bytes, a Java/JS caller UTF-16 units.
A converter precomputes the cumulative width of every code point once per document.
"""

from __future__ import annotations

from itertools import accumulate

from service.proto.sitrep.v1 import extraction_pb2 as pb


class OffsetConverter:
    def __init__(self, text: str, encoding: int) -> None:
        if encoding == pb.OFFSET_ENCODING_UTF8:
            widths = [len(ch.encode("utf-8", "surrogatepass")) for ch in text]
        elif encoding == pb.OFFSET_ENCODING_UTF16:
            widths = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
        else:
            widths = []
        self._prefix = [0, *accumulate(widths)] if widths else None

    def __call__(self, offset: int) -> int:
        return offset if self._prefix is None else self._prefix[offset]
