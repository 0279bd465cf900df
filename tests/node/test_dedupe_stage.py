"""The node's dedupe stage: a real AIS file heard by two receivers gives the events of one, and the
second receiver's copies are counted as duplicates (not rejected)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from seawatch.detect.config import DetectConfig
from seawatch.detect.context import DetectContext
from seawatch.detect.live import LiveDetector
from seawatch.feeders.dedupe import DuplicateStage
from seawatch.geo.zones import default_zones
from seawatch.model import Observation
from seawatch.node.feeds import replay_items
from seawatch.node.pipeline import Item, LivePipeline, StepResult
from seawatch.node.settings import NodeSettings
from seawatch.node.stages import FusionStage, make_dedupe
from tests.shared import require_shared


def _run(items: list[tuple[str, Item]]) -> tuple[StepResult, list[dict[str, object]]]:
    context = DetectContext(config=DetectConfig.defaults(), zones=list(default_zones()))
    settings = NodeSettings()
    pipeline = LivePipeline(
        "n1",
        FusionStage("n1", settings.pipeline.fusion_config()),
        [LiveDetector(context)],
        make_dedupe(settings),
    )
    result = pipeline.process(items)
    events = [e.to_json() for e, _ in result.batch.events]
    for detector in pipeline.detectors:
        events += [e.to_json() for e in detector.flush()]
    return result, sorted(({k: v for k, v in e.items() if k != "id"} for e in events), key=repr)


def _receiver(path: Path, name: str) -> list[tuple[float, str, Item]]:
    return [(t, name, item) for t, item in replay_items([path], name)]


def test_real_file_from_two_receivers_gives_the_events_of_one() -> None:
    path = require_shared("ais-nmea-tagblock-kystverket", "norwegian_2024-12-09.nmea")
    once = _receiver(path, "station-a")
    # the second receiver hears every report 0.5 s later (data time), interleaved as a node takes them
    later = [(t + 0.5 if t > 0 else t, name, item) for t, name, item in _receiver(path, "station-b")]
    both = sorted(once + later, key=lambda x: x[0])
    one_result, one_events = _run([(name, item) for _, name, item in once])
    two_result, two_events = _run([(name, item) for _, name, item in both])
    assert one_events and two_events == one_events
    assert one_result.duplicates == {}
    assert two_result.duplicates["station-b"] > 100  # every dated report of the second receiver
    assert "station-a" not in two_result.duplicates
    assert len(two_result.batch.positions) == len(one_result.batch.positions)
    # counted as duplicates, never as rejects: each receiver's rejects are its undated lines only
    assert (
        two_result.rejected["station-b"]
        == two_result.rejected["station-a"]
        == sum(one_result.rejected.values())
    )


def test_a_report_repeated_after_the_window_is_a_new_observation() -> None:
    path = require_shared("ais-nmea-tagblock-kystverket", "norwegian_2024-12-09.nmea")
    stage = DuplicateStage(window_s=2.0)
    obs = next(item for t, item in replay_items([path], "a") if isinstance(item, Observation))
    assert not stage.is_duplicate(obs)
    assert stage.is_duplicate(obs)
    assert not stage.is_duplicate(replace(obs, time=obs.time + timedelta(seconds=3)))
    assert stage.duplicates == 1
