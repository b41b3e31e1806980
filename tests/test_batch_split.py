"""How a gathered batch is split over idle workers (`service/engine/pool.py`): consecutive calls,
as even as the count allows, each caller in exactly one part. No model, no server."""

from __future__ import annotations

import asyncio

import pytest

from service.engine.pool import _Gathered

pytestmark = pytest.mark.fast


def _gathered(n: int) -> _Gathered:
    gathered = _Gathered()
    for i in range(n):
        gathered.add(f"text {i}", float(i))
    return gathered


@pytest.mark.parametrize(("calls", "idle", "sizes"), [(8, 2, [4, 4]), (7, 2, [3, 4]), (3, 4, [1, 1, 1]), (5, 1, [5])])
def test_a_batch_is_split_evenly_over_idle_workers(calls: int, idle: int, sizes: list[int]) -> None:
    async def run() -> None:
        gathered = _gathered(calls)
        parts = gathered.split(idle)
        assert [len(p.texts) for p in parts] == sizes
        assert [t for p in parts for t in p.texts] == gathered.texts  # order kept, nobody twice
        assert [f for p in parts for f in p.futures] == gathered.futures
        assert [max(p.deadlines) for p in parts] == [p.deadlines[-1] for p in parts]
        assert gathered.parts == parts  # a cancelled caller finds its part

    asyncio.run(run())
