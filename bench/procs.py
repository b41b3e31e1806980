"""What /proc says about processes (RSS, peak RSS, CPU time) and about the machine."""

from __future__ import annotations

import os
import platform
import sys
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

PROC = Path("/proc")
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True, slots=True)
class ProcInfo:
    pid: int
    role: str  # "server" | "worker" | "other" | "bench"
    rss_kib: int  # VmRSS
    hwm_kib: int  # VmHWM: peak RSS
    cpu_seconds: float  # user + system

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _status(pid: int) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in (PROC / str(pid) / "status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return fields


def _kib(value: str) -> int:
    return int(value.split()[0]) if value else 0


def cpu_seconds(pid: int) -> float:
    """utime + stime of `pid`, from /proc/<pid>/stat (fields 14 and 15)."""
    stat = (PROC / str(pid) / "stat").read_text()
    rest = stat[stat.rindex(")") + 2 :].split()
    return (int(rest[11]) + int(rest[12])) / TICKS


def info(pid: int, role: str) -> ProcInfo:
    status = _status(pid)
    return ProcInfo(pid, role, _kib(status.get("VmRSS", "")), _kib(status.get("VmHWM", "")), cpu_seconds(pid))


def children(pid: int) -> list[int]:
    """Direct children of `pid` (scans /proc; does not need CONFIG_PROC_CHILDREN)."""
    found = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat[stat.rindex(")") + 2 :].split()[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


def _role(pid: int) -> str:
    try:
        cmdline = (PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        return "other"
    # Spawned pool workers run `spawn_main`; the resource tracker is the other spawned child.
    return "worker" if b"spawn_main" in cmdline and b"resource_tracker" not in cmdline else "other"


def server_tree(server_pid: int) -> list[ProcInfo]:
    """The serving process and its children, each with its role (workers are pool processes)."""
    tree = [info(server_pid, "server")]
    for pid in children(server_pid):
        try:
            tree.append(info(pid, _role(pid)))
        except OSError:
            continue  # exited between listing and reading
    return tree


def total_rss_kib(tree: list[ProcInfo], roles: tuple[str, ...] = ("server", "worker")) -> int:
    return sum(p.rss_kib for p in tree if p.role in roles)


def loadavg() -> list[float]:
    return [float(x) for x in (PROC / "loadavg").read_text().split()[:3]]


def _cpu_model() -> str:
    for line in (PROC / "cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.partition(":")[2].strip()
    return platform.processor() or "unknown"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return ""


def machine(model_name: str, model_version: str) -> dict[str, Any]:
    """CPU, cores, RAM and software versions, recorded with every result."""
    meminfo = {line.split(":")[0]: line.split(":")[1].strip() for line in (PROC / "meminfo").read_text().splitlines()}
    return {
        "cpu_model": _cpu_model(),
        "cores": os.cpu_count() or 1,
        "usable_cores": len(os.sched_getaffinity(0)),
        "ram_gib": round(_kib(meminfo.get("MemTotal", "")) / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": sys.version.split()[0],
        "spacy": _version("spacy"),
        "grpcio": _version("grpcio"),
        "model": model_name,
        "model_version": model_version,
    }


def machine_busy_seconds() -> float:
    """CPU-seconds all cores have spent not idle since boot (/proc/stat: total − idle − iowait)."""
    fields = [int(x) for x in (PROC / "stat").read_text().splitlines()[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / TICKS
