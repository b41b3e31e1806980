"""CPU and memory of the worker processes, read from /proc at scrape time."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


def _stat(pid: int) -> tuple[float, int] | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        with open(f"/proc/{pid}/statm") as f:
            rss_pages = int(f.read().split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return (int(fields[11]) + int(fields[12])) / _TICKS, rss_pages * _PAGE


class WorkerCollector(Collector):
    """`sitrep_worker_*{worker="<index>"}` for each live worker; the index keeps labels bounded."""

    def __init__(self, pids: Callable[[], list[int]]) -> None:
        self._pids = pids

    def collect(self) -> Iterator[Metric]:
        cpu = CounterMetricFamily("sitrep_worker_cpu_seconds", "Worker CPU time.", labels=["worker"])
        rss = GaugeMetricFamily("sitrep_worker_resident_memory_bytes", "Worker RSS.", labels=["worker"])
        for index, pid in enumerate(self._pids()):
            stat = _stat(pid)
            if stat is not None:
                cpu.add_metric([str(index)], stat[0])
                rss.add_metric([str(index)], stat[1])
        yield cpu
        yield rss
