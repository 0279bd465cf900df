"""The node's fusion knows each radar's report interval from its settings: the feeds' sensor sites
(`sensors.toml`), a sim feed's scenario radars; `[pipeline.fusion] revisit_s` overrides a site."""

from __future__ import annotations

from pathlib import Path

import pytest

from seawatch.errors import ConfigError
from seawatch.node.settings import FeedSettings, NodeSettings, PipelineSettings
from seawatch.node.stages import FusionStage, make_tracker
from seawatch.sim.scenario import load_scenario

SITES = """
[[radar]]
id = "KIN-1"
lat = 17.94
lon = -76.78
report_interval_s = 30

[[radar]]
id = "KIN-2"
lat = 17.90
lon = -76.60
"""


def _fusion_revisit(settings: NodeSettings) -> dict[str, float]:
    stage = make_tracker(settings)
    assert isinstance(stage, FusionStage)
    return dict(stage.fusion.config.revisit_s)


def test_report_intervals_come_from_the_feeds_sites(tmp_path: Path) -> None:
    sites = tmp_path / "sensors.toml"
    sites.write_text(SITES)
    feed = FeedSettings(name="radar", kind="listen_tcp", port=1, sensors=sites)
    assert _fusion_revisit(NodeSettings(feeds=[feed])) == {"KIN-1": 30.0}  # KIN-2's is learned
    explicit = PipelineSettings(fusion={"revisit_s": {"KIN-1": 12.0, "OTHER": 6.0}})
    assert _fusion_revisit(NodeSettings(feeds=[feed], pipeline=explicit)) == {"KIN-1": 12.0, "OTHER": 6.0}
    # the tracker uses it: the site's period is known before its first contact
    stage = make_tracker(NodeSettings(feeds=[feed]))
    assert isinstance(stage, FusionStage)
    tracker = stage.fusion.tracker
    assert tracker.revisit.period_s(tracker.sensor_bit("radar:KIN-1")) == 30.0


def test_a_sim_feed_gives_its_scenarios_radars() -> None:
    feed = FeedSettings(name="sim", kind="sim", scenario="caribbean-gofast")
    radars = load_scenario("caribbean-gofast", check_geo=False).radars
    assert radars
    assert _fusion_revisit(NodeSettings(feeds=[feed])) == {r.id: r.report_interval_s for r in radars}


def test_an_unreadable_sites_file_stops_the_node_at_start(tmp_path: Path) -> None:
    feed = FeedSettings(name="radar", kind="listen_tcp", port=1, sensors=tmp_path / "missing.toml")
    with pytest.raises(ConfigError, match=r"missing\.toml"):
        make_tracker(NodeSettings(feeds=[feed]))
