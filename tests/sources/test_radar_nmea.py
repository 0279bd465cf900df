"""Radar NMEA source: real go-nmea vectors (valid fields, malformed rejected) and bad input as Rejected."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from pyproj import Geod

from seawatch.model.observation import Observation, Rejected, SensorKind
from seawatch.sources.radar import RadarFieldError, RadarNmeaDecoder, parse_radar_sentence
from seawatch.sources.sensors import RadarSite, SensorConfig, load_sensors, sensors_for_inputs
from tests.shared import require_shared

SITE = RadarSite(id="KIN-1", talker="RA", lat=17.9, lon=-76.8, range_m=40_000, bearing_sigma_deg=0.5)
SENSORS = SensorConfig((SITE,))
GEOD = Geod(ellps="WGS84")


def _cs(body: str) -> str:
    c = 0
    for ch in body.encode():
        c ^= ch
    return f"{c:02X}"


def line(body: str, station: str | None = "KIN-1", epoch: int | None = 1_700_000_000) -> str:
    tags = ",".join(p for p in (f"s:{station}" if station else "", f"c:{epoch}" if epoch else "") if p)
    sentence = f"${body}*{_cs(body)}"
    return f"\\{tags}*{_cs(tags)}\\{sentence}" if tags else sentence


def _vectors() -> list[dict]:
    path = require_shared("radar-nmea-vectors-gonmea", "radar_sentence_vectors.json")
    return json.loads(Path(path).read_text())


GO_FIELDS = {
    "TTM": {
        "TargetNumber": "target_number", "TargetDistance": "distance", "Bearing": "bearing_deg",
        "BearingType": "bearing_ref", "TargetSpeed": "speed", "TargetCourse": "course_deg",
        "CourseType": "course_ref", "DistanceCPA": "cpa_distance", "TimeCPA": "cpa_time_min",
        "SpeedUnits": "units", "TargetName": "name", "TargetStatus": "status", "ReferenceTarget": "reference",
        "TypeOfAcquisition": "acquisition",
    },
    "TLL": {
        "TargetNumber": "target_number", "TargetLatitude": "lat", "TargetLongitude": "lon",
        "TargetName": "name", "TargetStatus": "status", "ReferenceTarget": "reference",
    },
    "OSD": {
        "Heading": "heading_deg", "HeadingStatus": "heading_status", "VesselTrueCourse": "course_deg",
        "CourseReference": "course_ref", "VesselSpeed": "speed", "SpeedReference": "speed_ref",
        "VesselSetTrue": "set_deg", "VesselDrift": "drift", "SpeedUnits": "units",
    },
    "RSD": {
        "Origin1Range": "origin1_range", "Origin1Bearing": "origin1_bearing", "VariableRangeMarker1": "vrm1",
        "BearingLine1": "ebl1", "Origin2Range": "origin2_range", "Origin2Bearing": "origin2_bearing",
        "VariableRangeMarker2": "vrm2", "BearingLine2": "ebl2", "CursorRangeFromOwnShip": "cursor_range",
        "CursorBearingDegrees": "cursor_bearing", "RangeScale": "range_scale", "RangeUnit": "range_unit",
        "DisplayRotation": "display_rotation",
    },
}  # fmt: skip


def _same(go_value: object, ours: object) -> bool:
    """go-nmea writes 0 / "" for absent fields; we write None."""
    if ours is None:
        return go_value in (0, "", 0.0)
    if isinstance(go_value, float | int) and isinstance(ours, float | int):
        return math.isclose(float(go_value), float(ours), abs_tol=1e-6)
    return go_value == ours


def test_valid_vectors_give_expected_fields() -> None:
    valid = [v for v in _vectors() if "expected" in v]
    assert len(valid) == 8
    for vec in valid:
        parsed = parse_radar_sentence(vec["sentence"])
        exp = vec["expected"]
        if parsed.kind == "TLB":
            assert parsed.fields["labels"] == {t["TargetNumber"]: t["TargetLabel"] for t in exp["Targets"]}
            continue
        for go_name, ours in GO_FIELDS[parsed.kind].items():
            assert _same(exp[go_name], parsed.fields[ours]), (vec["sentence"], go_name, parsed.fields[ours])
        if "TimeUTC" in exp:
            t = parsed.fields["time_utc"]
            assert (t is not None) == exp["TimeUTC"]["Valid"]
            if t is not None:
                assert (t.hour, t.minute, t.second) == tuple(
                    exp["TimeUTC"][k] for k in ("Hour", "Minute", "Second")
                )


def test_every_malformed_vector_is_rejected_even_without_checksum() -> None:
    bad = [v for v in _vectors() if v.get("expect_error")]
    assert len(bad) == 45
    decoder = RadarNmeaDecoder(
        SensorConfig((RadarSite(id="ship", talker="RA", lat=36.7, lon=-2.5),)), source="v"
    )
    for vec in bad:
        # the field check alone catches each corruption (not only the checksum)
        with pytest.raises(RadarFieldError):
            parse_radar_sentence(vec["sentence"], enforce_checksum=False)
        out = decoder.feed(vec["sentence"])
        assert len(out) == 1 and isinstance(out[0], Rejected) and out[0].reason
    assert decoder.counts["rejected"] == 45


def test_ttm_position_from_site_range_and_bearing() -> None:
    dec = RadarNmeaDecoder(SENSORS, source="test")
    (obs,) = dec.feed(line("RATTM,07,5.000,045.0,T,30.0,045.0,T,,,N,,T,,,A"))
    assert isinstance(obs, Observation)
    assert obs.sensor == SensorKind.RADAR and obs.target_ref == "KIN-1:7" and obs.station == "KIN-1"
    az, _, dist = GEOD.inv(SITE.lon, SITE.lat, obs.lon, obs.lat)
    assert dist == pytest.approx(5 * 1852.0, abs=0.5)
    assert az == pytest.approx(45.0, abs=1e-6)
    assert obs.sog_kn == 30.0 and obs.cog_deg == 45.0
    assert obs.time.timestamp() == 1_700_000_000
    assert obs.extra["sigma_m"] == pytest.approx(max(30.0, 5 * 1852 * math.radians(0.5)))


def test_ttm_km_units_and_relative_bearing_with_osd_heading() -> None:
    dec = RadarNmeaDecoder(SENSORS)
    assert dec.feed(line("RAOSD,090.0,A,090.0,B,10.0,B,,,N")) == []
    (obs,) = dec.feed(line("RATTM,01,10.0,010.0,R,20.0,,T,,,K,,T,,,A"))
    assert isinstance(obs, Observation)
    az, _, dist = GEOD.inv(SITE.lon, SITE.lat, obs.lon, obs.lat)
    assert dist == pytest.approx(10_000.0, abs=0.5) and az == pytest.approx(100.0, abs=1e-6)
    assert obs.sog_kn == pytest.approx(20.0 / 1.852)


def test_own_ship_position_from_gga_overrides_site() -> None:
    dec = RadarNmeaDecoder(SENSORS)
    gga = "GPGGA,120000,1800.000,N,07700.000,W,1,08,0.9,5.0,M,0.0,M,,"
    assert dec.feed(line(gga, epoch=1_700_000_000)) == []
    (obs,) = dec.feed(line("RATTM,02,1.0,000.0,T,,,T,,,N,,T,,,A", epoch=1_700_000_010))
    assert isinstance(obs, Observation)
    _, _, dist = GEOD.inv(-77.0, 18.0, obs.lon, obs.lat)
    assert dist == pytest.approx(1852.0, abs=0.5)


def test_tll_position_and_time_of_day_with_default_day() -> None:
    from datetime import date

    dec = RadarNmeaDecoder(
        SensorConfig((RadarSite(id="es", talker="RA", lat=36.7, lon=-2.6),)), default_day=date(2020, 1, 2)
    )
    (obs,) = dec.feed("$RATLL,1,3646.54266,N,00235.37778,W,test,020915,L,R*78")
    assert isinstance(obs, Observation)
    assert obs.lat == pytest.approx(36.775711) and obs.lon == pytest.approx(-2.5896296667)
    assert obs.time.isoformat() == "2020-01-02T02:09:15+00:00"
    assert obs.extra["name"] == "test"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (line("RATTM,01,1.0,400.0,T,1.0,10.0,T,,,N,,T,,,A"), "outside 0-360"),
        (line("RATTM,01,1.0,-5.0,T,1.0,10.0,T,,,N,,T,,,A"), "outside 0-360"),
        (line("RATTM,01,50.0,10.0,T,1.0,10.0,T,,,N,,T,,,A"), "beyond radar 'KIN-1' reach"),
        (line("RATTM,01,,10.0,T,1.0,10.0,T,,,N,,T,,,A"), "missing target distance"),
        (line("RATTM,01,1.0,,T,1.0,10.0,T,,,N,,T,,,A"), "missing bearing"),
        (line("RATTM,01,1.0,10.0,T,1.0,10.0,T,,,,,T,,,A"), "missing speed units"),
        (
            line("RATTM,01,1.0,10.0,T,1.0,10.0,T,,,N,,T,,,A", station="XX-9"),
            "unknown radar site: station 'XX-9'",
        ),
        (
            line("RATTM,01,1.0,10.0,T,1.0,10.0,T,,,N,,T,,,A", station=None, epoch=None).replace(
                "RATTM", "BXTTM"
            ),
            "checksum",
        ),
        (
            line("BXTTM,01,1.0,10.0,T,1.0,10.0,T,,,N,,T,,,A", station=None, epoch=None),
            "talker 'BX' not configured",
        ),
        (line("RATTM,01,1.0,10.0,T,1.0,10.0,T,,,N,,T,,,A", epoch=None), "no time"),
        (line("RATTM,01,1.0,10.0,R,1.0,10.0,T,,,N,,T,,,A"), "no own-ship heading"),
        (line("RATLL,1,1000.00,N,07700.000,W,x,,T,"), "beyond reach"),
        ("garbage", "not an NMEA sentence"),
        (
            line("RATTM,01,1.0,10.0,T,1.0,10.0,T,,,N,,T,,,A").replace("*", "*0", 1),
            "tag block checksum mismatch",
        ),
        (line("RAXYZ,1,2,3"), "unsupported sentence"),
    ],
)
def test_bad_radar_lines_are_rejected_with_reason(text: str, reason: str) -> None:
    dec = RadarNmeaDecoder(SENSORS, source="bad.nmea")
    out = dec.feed(text, line_no=3)
    assert len(out) == 1 and isinstance(out[0], Rejected), out
    assert reason in out[0].reason
    assert out[0].line_no == 3 and out[0].source == "bad.nmea"
    assert dec.counts["rejected"] == 1


def test_sensor_file_and_sensors_toml_beside_input(tmp_path: Path) -> None:
    (tmp_path / "sensors.toml").write_text(
        '[[radar]]\nid = "A"\ntalker = "RA"\nlat = 18.0\nlon = -77.0\nrange_m = 30000\n'
        "bearing_sigma_deg = 1.0\nrange_sigma_m = 20\n"
    )
    (tmp_path / "radar.nmea").write_text("")
    config = sensors_for_inputs([tmp_path / "radar.nmea"])
    site = config.radar_site("A", None)
    assert site is not None and site.range_m == 30000 and site.bearing_sigma_deg == 1.0
    assert config.radar_site(None, "RA") == site
    assert load_sensors(tmp_path / "sensors.toml").radars == config.radars


def test_bad_sensor_file_names_the_problem(tmp_path: Path) -> None:
    from seawatch.errors import ConfigError

    bad = tmp_path / "s.toml"
    bad.write_text('[[radar]]\nid = "A"\nlat = 95\nlon = 0\n')
    with pytest.raises(ConfigError, match="out of range"):
        load_sensors(bad)
    bad.write_text('[[radar]]\nid = "A"\nlat = "x"\n')
    with pytest.raises(ConfigError, match="'lat' must be a number"):
        load_sensors(bad)
