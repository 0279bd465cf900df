"""The reorder feeder (`feeders/reorder.py`): reports put in data-time order before tracking, in the
node per batch (two receivers interleaved in one batch give no out-of-order fix) and in file replays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from seawatch.detect.context import DetectContext
from seawatch.detect.live import LiveDetector
from seawatch.feeders.reorder import ReorderStage, in_time_order
from seawatch.geo.zones import default_zones
from seawatch.model import Observation, Rejected, SensorKind
from seawatch.node.pipeline import Item, LivePipeline
from seawatch.node.settings import NodeSettings
from seawatch.node.stages import make_tracker

T0 = datetime(2020, 6, 30, 10, 0, tzinfo=UTC)


def _fix(seconds: float, source: str, mmsi: int = 366000001) -> Observation:
    return Observation(
        T0 + timedelta(seconds=seconds), 18.0 + seconds / 36000, -66.0, SensorKind.AIS, source, mmsi=mmsi
    )


def test_in_time_order_is_stable_and_keeps_undated_items_in_place() -> None:
    items = [(5.0, "a"), (None, "x"), (3.0, "b"), (5.0, "c"), (None, "y"), (1.0, "d")]
    ordered = in_time_order(items, lambda pair: pair[0])
    # 1 d, 3 b, then the 5s in arrival order, each undated item behind the dated one before it
    assert [name for _, name in ordered] == ["d", "b", "a", "x", "c", "y"]
    assert in_time_order(ordered[:1], lambda pair: pair[0]) == ordered[:1]


def test_two_receivers_interleaved_in_one_batch_give_no_out_of_order_fix() -> None:
    # receiver b delivers its fixes late: each batch holds b's older fixes after a's newer ones
    a = [("a", _fix(60.0 * k, "a")) for k in range(1, 11)]
    b = [("b", _fix(60.0 * k + 30.0, "b")) for k in range(10)]
    items: list[tuple[str, Item]] = [*a[:5], *b[:5], ("a", Rejected("x", "junk", "a")), *a[5:], *b[5:]]
    detector = LiveDetector(DetectContext(zones=list(default_zones())))
    stage = ReorderStage()
    pipeline = LivePipeline("n1", make_tracker(NodeSettings()), [detector], reorder=stage)
    result = pipeline.process(items)
    assert stage.reordered == 1
    assert result.decoded == {"a": 10, "b": 10} and result.rejected == {"a": 1}
    times = [p.t for p in result.batch.positions]
    assert times == sorted(times) and len(times) == 20
    assert detector.counts.get("out_of_order", 0) == 0
    assert detector.counts["used"] == 20
