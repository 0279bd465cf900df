"""Real KSAT SAR detections correlated with AIS: dark when no AIS vessel is near, fused when one is.

GFW's matches table says which detections matched an AIS MMSI, but the AIS tracks are not public.
We synthesise, for each matched detection, the AIS reports its vessel would have sent (documented
offsets): the vessel's true position at image time is the detection displaced by 50–500 m in a
random direction (SAR geolocation error plus the detection-to-antenna offset), it sails at 2–8 kn
on the detected heading, and it reports every 3 min (±30 s) from 30 min before to 10 min after the
image, with 10 m GPS noise; so no report coincides with the image time and the tracker must project
the vessel to it. Unmatched detections get no AIS.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from pyproj import Geod

from seawatch.fusion.pipeline import fuse_frame
from seawatch.model.columns import conform_positions
from seawatch.sources.satellite import load_satellite_file
from tests.shared import require_shared

DATA = "sar-vessel-detections-ksat-rs2-pacific"
GEOD = Geod(ellps="WGS84")


def _detections() -> pl.DataFrame:
    frame, rejects, _ = load_satellite_file(require_shared(DATA, "ksat-detections-fp-v20200117.csv"))
    assert not rejects
    return frame


def _matches() -> pl.DataFrame:
    m = pl.read_csv(require_shared(DATA, "ais_sar_matches_pacific.csv"))
    return m.filter(pl.col("detect_id").is_not_null()).select(
        pl.col("detect_id").alias("target_ref"), pl.col("ssvid").cast(pl.Int64).alias("mmsi")
    )


def synthetic_ais(det: pl.DataFrame, seed: int = 7) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    rows: list[dict[str, object]] = []
    for d in det.iter_rows(named=True):
        off_m = rng.uniform(50, 500)
        lon0, lat0, _ = GEOD.fwd(d["lon"], d["lat"], rng.uniform(0, 360), off_m)
        sog = rng.uniform(2, 8)
        cog = d["heading_deg"] if d["heading_deg"] is not None else rng.uniform(0, 360)
        for k in range(-10, 4):
            dt = k * 180 + 90 + rng.uniform(-30, 30)
            dist = sog * 1852 / 3600 * dt
            lon, lat, _ = GEOD.fwd(lon0, lat0, cog, dist)
            lon, lat, _ = GEOD.fwd(lon, lat, rng.uniform(0, 360), abs(rng.normal(0, 10)))
            rows.append({"t": d["t"] + dt, "mmsi": d["mmsi"], "lat": lat, "lon": lon, "sog_kn": sog,
                         "cog_deg": cog, "sensor": "ais", "source": "synthetic-ais"})  # fmt: skip
    return conform_positions(pl.DataFrame(rows))


def test_without_ais_every_detection_is_dark() -> None:
    det = _detections()
    result = fuse_frame(det)
    assert len(result.events) == 173
    assert {e.details["target_refs"][0] for e in result.events} == set(det["target_ref"])
    assert all(e.type == "dark_target" and e.mmsi == () for e in result.events)
    assert all(
        e.details["sensor"] == "satellite" and e.details["distance_to_nearest_ais_m"] is None
        for e in result.events
    )
    assert all(e.details["length_m"] is not None for e in result.events)
    assert result.tracks.height == 173 and result.tracks["dark"].all()


def test_matched_detections_correlate_and_unmatched_stay_dark() -> None:
    det = _detections().drop("mmsi").join(_matches(), on="target_ref", how="left")
    matched = det.filter(pl.col("mmsi").is_not_null())
    assert matched.height == 159
    ais = synthetic_ais(matched)
    positions = pl.concat(
        [conform_positions(det.drop("mmsi").with_columns(pl.lit(None, pl.Int64).alias("mmsi"))), ais],
        how="diagonal_relaxed",
    )
    result = fuse_frame(positions)
    sat = result.tracks.filter(pl.col("sensor") == "satellite").join(
        matched.select("target_ref", pl.col("mmsi").alias("gfw_mmsi")), on="target_ref", how="left"
    )
    assert sat.height == 173
    dark_refs = {e.details["target_refs"][0] for e in result.events}
    unmatched = set(det.filter(pl.col("mmsi").is_null())["target_ref"])
    assert dark_refs == unmatched  # all 14 unmatched are dark, no matched one is
    fused = sat.filter(pl.col("gfw_mmsi").is_not_null())
    # every matched detection has its GFW vessel (projected) within 1,500 m ...
    assert (fused["nearest_ais_m"] <= 1500).all()
    # ... and the tracker fused nearly all of them into that vessel's AIS track
    same = (fused["mmsi"] == fused["gfw_mmsi"]).sum()
    assert same / fused.height >= 0.95, same
    assert fused.filter(pl.col("mmsi") == pl.col("gfw_mmsi"))["track_sensors"].str.contains("satellite").all()


@pytest.mark.parametrize("threshold_m", [100.0])
def test_dark_distance_is_configurable(threshold_m: float) -> None:
    from seawatch.fusion.config import FusionConfig

    det = (
        _detections()
        .drop("mmsi")
        .join(_matches(), on="target_ref", how="left")
        .filter(pl.col("mmsi").is_not_null())
        .head(30)
    )
    ais = synthetic_ais(det)
    positions = pl.concat([det.drop("mmsi"), ais], how="diagonal_relaxed")
    strict = fuse_frame(positions, FusionConfig(dark_distance_m=threshold_m, gate_chi2=0.01))
    assert all(e.params["dark_distance_m"] == threshold_m for e in strict.events)
    near = strict.tracks.filter(pl.col("sensor") == "satellite")["nearest_ais_m"]
    assert len(strict.events) == int((near > threshold_m).sum()) > 0
    assert math.isfinite(near.max())
