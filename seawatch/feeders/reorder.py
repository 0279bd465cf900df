"""Reorder: items put in data-time order before the tracker and the detectors.

One rule for the CLI and the node: what the stage sees at once is put in data-time order (stable:
items of the same time keep their arrival order; an item without a time keeps its place behind the
dated item it came after). The CLI sees whole inputs (`seawatch ingest` and a node's file feeds replay
files in time order; `seawatch detect`/`fuse` work on whole frames, which fusion and each detector sort
themselves); the node sees one batch at a time and never holds an item past its batch, because what
it acknowledges is committed. A report still older than its track's last one after that is counted
`out_of_order` by the live detectors (and kept in history).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TypeVar

from seawatch.model import AisPosition, AisStatic, Observation

T = TypeVar("T")


def in_time_order(items: Sequence[T], time_of: Callable[[T], float | None]) -> list[T]:
    """`items` in data-time order (stable); an undated item (time None) stays behind the dated item
    before it (at the front when none is)."""
    return _ordered(items, time_of)[0]


def _ordered(items: Sequence[T], time_of: Callable[[T], float | None]) -> tuple[list[T], bool]:
    """(items in time order, whether that moved any)."""
    keys: list[float] = []
    last = float("-inf")
    ordered = True
    for item in items:
        t = time_of(item)
        if t is not None:
            ordered = ordered and t >= last
            last = t
        keys.append(last)
    if ordered:
        return list(items), False
    order = sorted(range(len(items)), key=keys.__getitem__)
    return [items[i] for i in order], True


def item_time(item: object) -> float | None:
    """The data time (epoch s) of a pipeline item, None when it has none (rejects, undated reports)."""
    when: datetime | None
    if isinstance(item, Observation):
        when = item.time
    elif isinstance(item, AisPosition | AisStatic):
        when = item.received_at
    else:
        return None
    return None if when is None else when.timestamp()


class ReorderStage:
    """The node's reorder stage: each batch of `(source, item)` in data-time order; `reordered` counts
    the batches that were not."""

    def __init__(self) -> None:
        self.reordered = 0

    def order(self, items: Sequence[tuple[str, T]]) -> list[tuple[str, T]]:
        out, moved = _ordered(items, lambda pair: item_time(pair[1]))
        self.reordered += moved
        return out
