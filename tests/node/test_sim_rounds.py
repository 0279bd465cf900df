"""A repeating exercise (`seawatch demo`) runs on without a pause between its rounds: the next round is
simulated while the current one plays, so the feed never goes quiet while the demo runs (a quiet minute
and more turns the page's badge stale, which would then be untrue)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from seawatch.node import feeds
from seawatch.node.settings import FeedSettings


async def test_the_next_round_is_made_while_the_current_one_plays(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[int] = []
    next_asked = threading.Event()

    def lines(name: str, round_no: int = 0) -> tuple[list[tuple[float, str]], str, list[Any]]:
        asked.append(round_no)
        if round_no == 1:
            next_asked.set()
        t0 = 1e9 + round_no * 1e5
        return [(t0 + k, f"line {round_no}.{k}") for k in range(3)], "", []

    monkeypatch.setattr(feeds, "scenario_lines", lines)
    played: list[str] = []
    seen_round_1 = asyncio.Event()

    async def put(source: str, item: Any) -> None:
        played.append(item.raw)
        if played == ["line 0.0"]:
            # round 0 has begun playing: round 1 must be in the making now (hang guard, not a timing)
            assert await asyncio.to_thread(next_asked.wait, 60), "round 1 was not prepared during round 0"
        if item.raw.startswith("line 1."):
            seen_round_1.set()

    feed = FeedSettings(name="sim", kind="sim", scenario="x", speed=0, loop=True)
    task = asyncio.create_task(feeds.sim_feed(feed, put))
    seen = asyncio.create_task(seen_round_1.wait())
    try:
        await asyncio.wait([task, seen], timeout=120, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            task.result()  # the feed's own failure (the assertion in `put`), shown as it is
        assert seen.done(), "round 1 never played"
    finally:
        task.cancel()
        seen.cancel()
        await asyncio.gather(task, seen, return_exceptions=True)
    assert played[:4] == ["line 0.0", "line 0.1", "line 0.2", "line 1.0"]  # in order, none lost
    assert asked[:2] == [0, 1]


async def test_a_single_round_prepares_no_other(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[int] = []

    def lines(name: str, round_no: int = 0) -> tuple[list[tuple[float, str]], str, list[Any]]:
        asked.append(round_no)
        return [(1e9, "line")], "", []

    monkeypatch.setattr(feeds, "scenario_lines", lines)
    played: list[Any] = []

    async def put(source: str, item: Any) -> None:
        played.append(item)

    await asyncio.wait_for(feeds.sim_feed(FeedSettings(name="sim", kind="sim", speed=0), put), 60)
    assert asked == [0] and len(played) == 1
