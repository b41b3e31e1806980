"""Throughput, latency and memory benchmark of Sitrep (issue #7); `make bench` or `python -m bench`.

Not a test: it measures and reports (a table and `bench/results/*.json`); see docs/performance.md.
"""
