"""Decide when to reload: file events (watchfiles), a content-hash poll, SIGHUP, the admin RPC.

All triggers funnel into one serialised task, so bursts collapse into one reload and a reload
never runs twice at once. Kubernetes ConfigMap volumes swap a `..data` symlink and keep mtimes:
file events on the directory catch the swap, and the poll (which compares content hashes, not
mtimes) catches anything events miss, including filesystems without inotify.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import watchfiles

from service.reload.manager import RuleSetManager

log = logging.getLogger("sitrep.reload")


class RuleWatcher:
    def __init__(self, manager: RuleSetManager, poll_interval: float, watch: bool, debounce_ms: int) -> None:
        self._manager = manager
        self._poll = poll_interval
        self._watch = watch
        self._debounce = debounce_ms
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks.append(asyncio.create_task(self._reloader()))
        if self._watch:
            self._tasks.append(asyncio.create_task(self._events()))
        if self._poll > 0:
            self._tasks.append(asyncio.create_task(self._polling()))

    def trigger(self) -> None:
        """Ask for a reload soon (SIGHUP and file events land here)."""
        self._wake.set()

    async def stop(self) -> None:
        self._stop.set()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _reloader(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await asyncio.to_thread(self._manager.reload)
            except Exception:  # a bug in a reload must never stop future reloads
                log.exception("rule reload crashed")

    async def _events(self) -> None:
        root = self._manager.rules_dir
        try:
            async for _changes in watchfiles.awatch(
                root, debounce=self._debounce, step=50, stop_event=self._stop, recursive=True
            ):
                self.trigger()
        except (OSError, RuntimeError) as exc:
            log.warning("file watching unavailable (%s); relying on the %.0fs poll", exc, self._poll)

    async def _polling(self) -> None:
        while True:
            await asyncio.sleep(self._poll)
            self.trigger()
