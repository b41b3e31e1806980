"""The validated rule pack, cached on disk between processes.

Loading a pack (the pure-Python YAML parser, pydantic, validation, lint) takes most of a second
for the shipped one, and `sitrep extract`, `check`, `test`, `eval` and a server's start-up pay it
in every process. A pack that loaded without errors is pickled under the cache directory, keyed by
everything its `RuleSetSpec` depends on: the directory as named (file names in messages carry it),
every file's name and bytes (and the files refused or ignored beside them), the model's components,
and the code that loads (the sources of `service.rules`, `service.events` and `service/errors.py`,
with the Python, spaCy and pydantic versions). A pack with errors is never cached, so its errors
are always found and reported afresh; its warnings are part of the spec and come back unchanged.

The directory is `$SITREP_CACHE_DIR`, else `$XDG_CACHE_HOME/sitrep`, else `~/.cache/sitrep`
(`SITREP_CACHE_DIR=""` turns the cache off). It is never required: a missing, read-only or full
directory means the pack is loaded as if there were no cache, and an unreadable or corrupt entry is
ignored and written again. Entries are written to a temporary file and renamed, so a reader never
sees half of one; the newest `KEEP` entries are kept. Entries are read only from a directory that
belongs to the user and that no one else may write to (the cache creates it so, mode 0700).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import os
import pickle
import sys
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path

from service.rules.needs import ModelComponents
from service.rules.schema import RuleSetSpec

KEEP = 32
_FORMAT = b"sitrep-pack-cache 1"
_SERVICE = Path(__file__).resolve().parent.parent  # the `service` package
_CODE = ("rules", "events")  # packages whose code shapes a loaded spec, besides service/errors.py


def cache_dir() -> Path | None:
    """Where packs are cached, or None when the cache is turned off."""
    configured = os.environ.get("SITREP_CACHE_DIR")
    if configured is not None:
        return Path(configured).expanduser() if configured else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "sitrep"


@cache
def code_version() -> str:
    """A hash of the loading code and the libraries it relies on (fixed for a process)."""
    digest = hashlib.sha256(_FORMAT)
    digest.update(sys.version.encode())
    for package in ("spacy", "pydantic", "pyyaml"):
        try:
            digest.update(f"\0{package} {importlib.metadata.version(package)}".encode())
        except importlib.metadata.PackageNotFoundError:
            digest.update(f"\0{package} unknown".encode())
    sources = [_SERVICE / "errors.py"]
    for package in _CODE:
        sources += sorted(p for p in (_SERVICE / package).rglob("*") if p.suffix in (".py", ".yaml"))
    for path in sources:
        digest.update(str(path.relative_to(_SERVICE)).encode() + b"\0")
        try:
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        except OSError:
            digest.update(b"unreadable")
    return digest.hexdigest()


def pack_key(
    root: str,
    files: tuple[tuple[str, bytes], ...],
    problems: tuple[tuple[str, str], ...],
    components: ModelComponents | None,
) -> str:
    """The cache key of a snapshot's spec: its directory, files, refused/ignored files, the model's
    components and the code version."""
    digest = hashlib.sha256(code_version().encode())
    digest.update(b"\2" + root.encode("utf-8", "surrogateescape"))
    for name, data in files:
        digest.update(b"\0" + name.encode("utf-8", "surrogateescape") + b"\0" + hashlib.sha256(data).digest())
    for name, message in problems:
        digest.update(b"\1" + name.encode("utf-8", "surrogateescape") + b"\0" + message.encode())
    if components is None:
        digest.update(b"\3")
    else:
        digest.update(b"\4" + components.model.encode() + b"\0" + "\0".join(sorted(components.components)).encode())
    return digest.hexdigest()[:40]


def cached(key: str, load: Callable[[], RuleSetSpec]) -> RuleSetSpec:
    """The spec stored under `key`, or `load()` (stored for next time when it returns)."""
    directory = cache_dir()
    if directory is None:
        return load()
    path = directory / f"pack-{key}.pickle"
    found = _read(path) if _private(directory) else None
    if found is not None:
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used: kept by _prune
        return found
    spec = load()  # raises RuleSetError for a pack with errors: nothing is stored
    _write(directory, path, spec)
    return spec


def _private(directory: Path) -> bool:
    """Whether only this user can write into `directory`: an entry is unpickled only from there
    (unpickling runs code, so a directory others can write to is never read from)."""
    try:
        info = directory.stat()
    except OSError:
        return False
    return info.st_uid == os.getuid() and not info.st_mode & 0o022


def _read(path: Path) -> RuleSetSpec | None:
    try:
        data = path.read_bytes()
    except OSError:  # missing (the usual miss), unreadable, a directory
        return None
    if not data.startswith(_FORMAT + b"\n"):
        return None
    try:
        spec = pickle.loads(data[len(_FORMAT) + 1 :])
    except Exception:  # a corrupt or truncated entry, or one of classes since changed: reload
        return None
    return spec if isinstance(spec, RuleSetSpec) else None


def _write(directory: Path, path: Path, spec: RuleSetSpec) -> None:
    try:
        data = _FORMAT + b"\n" + pickle.dumps(spec, protocol=pickle.HIGHEST_PROTOCOL)
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".pack-", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
        _prune(directory)
    except (OSError, pickle.PicklingError, TypeError, AttributeError, RecursionError):
        return  # read-only, full or missing directory, or a spec that cannot be pickled: no cache


def _prune(directory: Path) -> None:
    """Keep the newest KEEP entries."""
    entries = []
    for path in directory.glob("pack-*.pickle"):
        try:
            entries.append((path.stat().st_mtime, path))
        except OSError:
            continue
    for _, path in sorted(entries, reverse=True)[KEEP:]:
        try:
            path.unlink()
        except OSError:
            continue
