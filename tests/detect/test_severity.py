"""Severity on every event: defaults per type, `[severity]` per type, zone overrides, watched zone kinds,
and `details.why` naming the rule with each measured value against its threshold."""

from __future__ import annotations

import dataclasses

import pytest
import shapely

from seawatch.detect.config import DetectConfig
from seawatch.detect.context import DetectContext
from seawatch.detect.live import LiveDetector
from seawatch.errors import ConfigError
from seawatch.model.event import Event
from seawatch.model.zone import Zone

START = 1_700_000_000.0
MMSI = 367000001


def _crossing(detector: LiveDetector, sog_kn: float = 30.0) -> list[Event]:
    """A vessel at `sog_kn` running east along 25 N for 40 min, one fix a minute, through lon -79.9."""
    events: list[Event] = []
    for i in range(41):
        lon = -80.0 + i * (sog_kn * 1852 / 60) / 100_700  # ~100.7 km per degree of longitude at 25 N
        events += detector.observe_values(START + 60 * i, MMSI, 25.0, lon, sog_kn)
    return events + detector.flush()


def _last(events: list[Event], kind: str) -> Event:
    return [e for e in events if e.type == kind][-1]


def _zone(kind: str, overrides: dict | None = None) -> Zone:
    return Zone("z1", "Watched box", kind, shapely.box(-79.9, 24.9, -79.0, 25.1), overrides or {})


def _ctx(
    ctx: DetectContext, zones: tuple[Zone, ...] = (), config: DetectConfig | None = None
) -> DetectContext:
    return dataclasses.replace(ctx, zones=zones, config=config or ctx.config)


def test_defaults_go_fast_is_an_alert_with_its_reason(ctx: DetectContext) -> None:
    events = _crossing(LiveDetector(_ctx(ctx)))
    fast = _last(events, "speed_anomaly")
    assert fast.severity == "alert"
    why = fast.details["why"]
    checks = {c["measured"]: c for c in why["checks"]}
    assert checks["median_sog_kn"]["value"] == pytest.approx(30.0)
    assert checks["median_sog_kn"]["limit"] == 25.0 and checks["median_sog_kn"]["op"] == ">="
    assert checks["duration_s"]["value"] >= checks["duration_s"]["limit"] == 600.0
    assert fast.to_json()["severity"] == "alert"
    assert Event.from_json(fast.to_json()).severity == "alert"


def test_zone_entry_is_an_alert_only_into_a_watched_kind(ctx: DetectContext) -> None:
    eez = _last(_crossing(LiveDetector(_ctx(ctx, (_zone("eez"),)))), "zone_entry")
    protected = _last(_crossing(LiveDetector(_ctx(ctx, (_zone("protected"),)))), "zone_entry")
    assert (eez.severity, protected.severity) == ("notice", "alert")


def test_per_type_and_per_zone_severity(ctx: DetectContext) -> None:
    quiet = DetectConfig.defaults().merged({"severity": {"speed_anomaly": "notice"}}, "test")
    assert _last(_crossing(LiveDetector(_ctx(ctx, config=quiet))), "speed_anomaly").severity == "notice"
    loud_zone = _zone("eez", {"severity": {"speed_anomaly": "alert", "zone_entry": "alert"}})
    events = _crossing(LiveDetector(_ctx(ctx, (loud_zone,), quiet)))
    # the go-fast starts west of the zone: the zone's override does not apply to it; the entry's does
    assert _last(events, "speed_anomaly").severity == "notice"
    assert _last(events, "zone_entry").severity == "alert"


def test_bad_severity_values_are_refused_by_name(ctx: DetectContext) -> None:
    with pytest.raises(ConfigError, match=r"speed_anomaly.*'loud'"):
        DetectConfig.defaults().merged({"severity": {"speed_anomaly": "loud"}}, "test")
    with pytest.raises(ConfigError, match=r"severity\.go_fast: unknown event type"):
        _ctx(ctx, (_zone("eez", {"severity": {"go_fast": "alert"}}),)).__post_init__()
    with pytest.raises(ValueError, match="severity 'urgent'"):
        Event.from_json(
            {**_last(_crossing(LiveDetector(_ctx(ctx))), "speed_anomaly").to_json(), "severity": "urgent"}
        )


def test_event_without_severity_gets_its_type_default() -> None:
    obj = {
        "type": "port_visit",
        "mmsi": [1],
        "start": "2026-01-01T00:00:00Z",
        "end": "2026-01-01T01:00:00Z",
        "lat": 18.0,
        "lon": -66.0,
    }
    assert Event.from_json(obj).severity == "notice"
    assert Event.from_json({**obj, "type": "dark_target"}).severity == "alert"
