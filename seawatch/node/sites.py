"""The node's sensor sites, from its settings: each feed's sites file (`sensors`, a `sensors.toml`) or,
for a `sim` feed without one, its scenario's radars. Read by the coverage layer and by the node's
fusion (each site's `report_interval_s` is the revisit its tentative tracks are confirmed over, known
from the first contact instead of learned)."""

from __future__ import annotations

from seawatch.node.settings import FeedSettings, NodeSettings
from seawatch.sources.sensors import RadarSite, SensorConfig, load_sensors


def feed_sites(feed: FeedSettings, check_geo: bool = False) -> SensorConfig:
    """The sites of one feed (empty when it names none); a sites file that cannot be read raises
    `ConfigError`, a scenario that cannot be loaded `SeawatchError`."""
    if feed.sensors is not None:
        return load_sensors(feed.sensors)
    if feed.kind != "sim":
        return SensorConfig()
    from seawatch.node.feeds import SIM_DEFAULT_SCENARIO
    from seawatch.sim.scenario import load_scenario

    scenario = load_scenario(feed.scenario or SIM_DEFAULT_SCENARIO, check_geo=check_geo)
    radars = tuple(
        RadarSite(
            id=r.id,
            talker=r.talker,
            lat=r.lat,
            lon=r.lon,
            range_m=r.range_m,
            bearing_sigma_deg=r.bearing_sigma_deg,
            range_sigma_m=r.range_sigma_m,
            report_interval_s=r.report_interval_s,
        )
        for r in scenario.radars
    )
    return SensorConfig(radars, source=f"scenario {scenario.name}")


def node_sites(settings: NodeSettings) -> SensorConfig:
    """Every feed's sites merged (a later feed's site of the same id wins)."""
    sites = SensorConfig()
    for feed in settings.feeds:
        sites = sites.merged(feed_sites(feed))
    return sites
