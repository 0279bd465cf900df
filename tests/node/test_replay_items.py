"""A node's file replay hands the pipeline what `seawatch detect` fuses: each radar report with its site
(the sensor whose revisit confirms the track) and its own error (`sigma_m`, the error ellipse), each SAR
detection with its scene and length, not bare positions."""

from __future__ import annotations

from pathlib import Path

from seawatch.model.observation import Observation, SensorKind
from seawatch.node.feeds import replay_items
from seawatch.sources.radar import iter_radar_file
from seawatch.sources.sensors import load_sensors
from tests.sources.test_radar_nmea import line

SITES = """[[radar]]
id = "KIN-1"
talker = "RA"
lat = 17.9
lon = -76.8
range_m = 40000
bearing_sigma_deg = 0.5
report_interval_s = 30
"""


def test_radar_replay_keeps_site_and_error(tmp_path: Path) -> None:
    radar = tmp_path / "radar.nmea"
    radar.write_text(
        "\n".join(
            line(f"RATTM,07,{5.0 + k / 10:.3f},045.0,T,30.0,045.0,T,,,N,,T,,,A", epoch=1_700_000_000 + 30 * k)
            for k in range(3)
        )
        + "\n"
    )
    sites = tmp_path / "sensors.toml"
    sites.write_text(SITES)
    replayed = [
        i for _, i in replay_items([radar], "feed", load_sensors(sites)) if isinstance(i, Observation)
    ]
    decoded = [i for i in iter_radar_file(radar, load_sensors(sites)) if isinstance(i, Observation)]
    assert len(replayed) == len(decoded) == 3
    for got, want in zip(replayed, decoded, strict=True):
        assert got.sensor is SensorKind.RADAR and got.station == want.station == "KIN-1"
        assert got.target_ref == want.target_ref == "KIN-1:7"
        assert got.extra["sigma_m"] == want.extra["sigma_m"] > 0
        for key in ("range_sigma_m", "cross_sigma_m", "bearing_deg"):
            assert got.extra[key] == want.extra[key]
