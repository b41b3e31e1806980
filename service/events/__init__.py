"""Typed event builders: from role spans to plain event records (no protobuf, no matching)."""
