"""Property tests of the radar source: any line gives observations or rejects (never an exception), and a
TTM written from a range/bearing decodes back to the geodesic point."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod

from seawatch.model.observation import Observation, Rejected
from seawatch.sources.radar import RadarNmeaDecoder
from seawatch.sources.sensors import RadarSite, SensorConfig

SITE = RadarSite(id="S1", talker="RA", lat=12.5, lon=-70.0, range_m=60_000)
GEOD = Geod(ellps="WGS84")


def _cs(body: str) -> str:
    c = 0
    for ch in body.encode():
        c ^= ch
    return f"{c:02X}"


FIELD = st.one_of(
    st.just(""), st.text(alphabet="0123456789.-+xNTRKSALQM ", max_size=8), st.floats(allow_nan=True).map(str)
)


@settings(max_examples=300, deadline=None)
@given(
    kind=st.sampled_from(["TTM", "TLL", "OSD", "RSD", "TLB", "GGA", "RMC", "XYZ"]),
    fields=st.lists(FIELD, max_size=16),
    tag=st.booleans(),
    good_checksum=st.booleans(),
)
def test_any_line_is_observation_or_reject(
    kind: str, fields: list[str], tag: bool, good_checksum: bool
) -> None:
    body = f"RA{kind}," + ",".join(fields)
    line = f"${body}*{_cs(body) if good_checksum else '00'}"
    if tag:
        line = "\\s:S1,c:1700000000*00\\" + line
    out = RadarNmeaDecoder(SensorConfig((SITE,))).feed(line)
    assert all(isinstance(o, Observation | Rejected) for o in out)
    for o in out:
        if isinstance(o, Rejected):
            assert o.reason


@settings(max_examples=200, deadline=None)
@given(range_m=st.floats(1.0, 59_000.0), bearing=st.floats(0.0, 359.9), speed=st.floats(0.0, 60.0))
def test_ttm_round_trip(range_m: float, bearing: float, speed: float) -> None:
    body = f"RATTM,07,{range_m / 1852:.5f},{bearing:.2f},T,{speed:.1f},{bearing:.1f},T,,,N,,T,,,A"
    tags = "s:S1,c:1700000000"
    line = f"\\{tags}*{_cs(tags)}\\${body}*{_cs(body)}"
    (obs,) = RadarNmeaDecoder(SensorConfig((SITE,))).feed(line)
    assert isinstance(obs, Observation)
    az, _, dist = GEOD.inv(SITE.lon, SITE.lat, obs.lon, obs.lat)
    assert abs(dist - round(range_m / 1852, 5) * 1852) < 0.05
    if dist > 1:
        assert abs((az - round(bearing, 2) + 180) % 360 - 180) < 1e-3
    assert obs.sog_kn is not None and abs(obs.sog_kn - round(speed, 1)) < 1e-9
