from __future__ import annotations

import pytest

from seawatch.errors import ConfigError
from seawatch.share.policy import ShareItem, SharePolicy, share_nothing
from tests.share.helpers import BB_EEZ, radar_track


def _item(**kw: object) -> ShareItem:
    raw = radar_track(1)
    data = {**raw["data"], **kw}
    return ShareItem("track", data)


def test_default_shares_nothing() -> None:
    policy = share_nothing("tt")
    assert policy.apply(_item()) is None
    assert policy.apply(ShareItem("event", {"type": "encounter", "lat": 13, "lon": -59})) is None
    assert policy.apply(ShareItem("sighting", {"lat": 13, "lon": -59})) is None
    assert SharePolicy.from_dict("tt", {}).apply(_item()) is None


def test_track_sources_filter() -> None:
    policy = SharePolicy.from_dict("tt", {"track_sources": ["ais"]})
    assert policy.apply(_item()) is None
    assert policy.apply(_item(sensor="ais", sources=["ais"])) is not None
    patrol = SharePolicy.from_dict("tt", {"track_sources": ["ais", "radar"]})
    assert patrol.apply(_item(asset=True)) is None  # own patrol positions only with "patrol"


def test_event_types() -> None:
    policy = SharePolicy.from_dict("jm", {"event_types": ["encounter"]})
    assert policy.apply(ShareItem("event", {"type": "encounter", "lat": 13, "lon": -59})) is not None
    assert policy.apply(ShareItem("event", {"type": "ais_gap", "lat": 13, "lon": -59})) is None
    every = SharePolicy.from_dict("jm", {"event_types": ["*"]})
    assert every.apply(ShareItem("event", {"type": "ais_gap", "lat": 13, "lon": -59})) is not None


def test_area_strip_precision() -> None:
    policy = SharePolicy.from_dict(
        "tt",
        {
            "track_sources": ["radar"],
            "areas": [BB_EEZ],
            "strip_fields": ["sensors", "details.site"],
            "precision_decimals": 2,
        },
    )
    inside = policy.apply(_item(lat=13.123456, lon=-59.654321, details={"site": "x", "keep": 1}))
    assert inside is not None
    assert inside.data["lat"] == 13.12 and inside.data["lon"] == -59.65
    assert "sensors" not in inside.data
    assert "details" not in inside.data  # not a declared track field: never sent
    assert policy.apply(_item(lat=18.0, lon=-76.8)) is None  # Jamaica: outside bb's box
    assert policy.apply(_item(lat=None, lon=None)) is None


def test_jitter_bounded_and_repeatable() -> None:
    policy = SharePolicy.from_dict("tt", {"track_sources": ["radar"], "jitter_m": 500})
    a = policy.apply(_item())
    b = policy.apply(_item())
    assert a is not None and b is not None
    assert a.data["lat"] == b.data["lat"]
    dlat_m = abs(a.data["lat"] - 13.1) * 111_195
    assert 0 < dlat_m <= 500


def test_bad_policy_is_config_error() -> None:
    with pytest.raises(ConfigError):
        SharePolicy.from_dict("tt", {"track_sources": ["sonar"]})
    with pytest.raises(ConfigError):
        SharePolicy.from_dict("tt", {"colour": "red"})


def test_round_trip_dict() -> None:
    policy = SharePolicy.from_dict("tt", {"track_sources": ["radar"], "areas": [BB_EEZ], "delay_s": 5})
    again = SharePolicy.from_dict("tt", policy.to_dict())
    assert again.to_dict() == policy.to_dict()
