"""The vectorised AIS encoder equals pyais's encoder; tag blocks carry correct checksums."""

from __future__ import annotations

import numpy as np
import pyais
from hypothesis import given, settings
from hypothesis import strategies as st

from seawatch.sim.nmea import (
    checksum,
    encode_positions,
    encode_pyais_position,
    sentence,
    tag_block,
    tag_blocks,
)
from seawatch.sim.radar import tll_body, ttm_body


def test_vectorised_encoder_matches_pyais_on_random_reports() -> None:
    rng = np.random.default_rng(3)
    n = 500
    lon, lat = rng.uniform(-100, -55, n), rng.uniform(5, 31, n)
    sog, cog, hdg = rng.uniform(0, 60, n), rng.uniform(0, 359.9, n), rng.uniform(0, 359, n)
    sec, status = rng.integers(0, 60, n), rng.choice([0, 1, 5, 7], n)
    chan = rng.choice(["A", "B"], n)
    for msg_type in (1, 18):
        ours = encode_positions(msg_type, 306123456, lon, lat, sog, cog, hdg, sec, status, chan)
        ref = [
            encode_pyais_position(
                msg_type,
                306123456,
                float(lon[i]),
                float(lat[i]),
                float(sog[i]),
                float(cog[i]),
                float(hdg[i]),
                int(sec[i]),
                int(status[i]),
                str(chan[i]),
            )
            for i in range(n)
        ]
        assert ours == ref


@settings(max_examples=200, deadline=None)
@given(
    mmsi=st.integers(100_000_000, 999_999_999),
    lon=st.floats(-180, 180),
    lat=st.floats(-90, 90),
    sog=st.floats(0, 102),
    cog=st.floats(0, 359.9),
)
def test_decoded_fields_round_trip(mmsi: int, lon: float, lat: float, sog: float, cog: float) -> None:
    line = encode_positions(
        1,
        mmsi,
        np.array([lon]),
        np.array([lat]),
        np.array([sog]),
        np.array([cog]),
        np.array([cog]),
        np.array([7]),
        np.array([0]),
        np.array(["A"]),
    )[0]
    msg = pyais.decode(line).asdict()
    assert msg["mmsi"] == mmsi
    assert abs(msg["lon"] - lon) < 1e-5 and abs(msg["lat"] - lat) < 1e-5
    assert abs(msg["speed"] - min(sog, 102.2)) <= 0.1 + 1e-9


def test_tag_blocks() -> None:
    epochs = np.array([0, 5, 1782777600, 9_999_999_999])
    assert tag_blocks("ST-1", epochs) == [tag_block("ST-1", int(e)) for e in epochs]
    block = tag_block("ST-1", 1782777600)
    body, _, rest = block[1:].partition("*")
    assert body == "s:ST-1,c:1782777600" and rest == checksum(body) + "\\"


def test_radar_sentences_have_valid_checksums() -> None:
    import pynmea2

    ttm = pynmea2.parse(sentence(ttm_body("RA", 7, 18520.0, 359.99, 40.0, 12.3, 1782777600.0)), check=True)
    assert float(ttm.distance) == 10.0 and float(ttm.bearing) == 0.0 and ttm.target_number == 7
    tll = pynmea2.parse(sentence(tll_body("RA", 8, -69.5, 12.25, 1782777600.0)), check=True)
    assert tll.lat == "1215.0000" and tll.lat_dir == "N" and tll.lon == "06930.0000" and tll.lon_dir == "W"
