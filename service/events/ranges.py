"""Ranges of offsets (characters or tokens): their union, shared by the dependency matcher (the
extents of the trees a rule runs over) and attribution (the direct quotations of a document)."""

from __future__ import annotations

from collections.abc import Iterable


def merged(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """The union of half-open ranges as disjoint ranges in order; ranges that touch are joined."""
    union: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if union and start <= union[-1][1]:
            union[-1] = (union[-1][0], max(union[-1][1], end))
        else:
            union.append((start, end))
    return union
