"""Prometheus metrics: definitions, the gRPC interceptor, and recording worker counts."""
