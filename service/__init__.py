"""Sitrep: typed conflict-news events from declarative YAML rules, served over gRPC."""

__version__ = "0.1.0"
