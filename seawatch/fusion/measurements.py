"""Measurements as arrays (`MeasurementBatch`): observations (`observations_batch`) or a positions frame
(`fusion/pipeline.py` `fuse_frame`) turned into the tracker's local frame, with each report's sensor
(`sensor_key`), error covariance (`default_sigma`, radar ellipses) and the sensor's own target id
(`ref_hash`)."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from seawatch.fusion.config import FusionConfig
from seawatch.fusion.delete import KIND_CODE
from seawatch.fusion.frame import velocity_en
from seawatch.fusion.noise import as_cov, polar_cov
from seawatch.model.observation import Observation, SensorKind

if TYPE_CHECKING:
    from seawatch.fusion.tracker import Tracker

Array = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass
class MeasurementBatch:
    """Measurements as arrays in the local frame. `mmsi` 0 when unknown; `ve/vn` NaN when not reported."""

    t: Array
    e: Array
    n: Array
    r_var: Array  # (k,) isotropic variance or (k,3) covariance xx, xy, yy (m²)
    kind: IntArray
    sensor_bit: IntArray
    mmsi: IntArray
    ve: Array
    vn: Array
    ref: IntArray | None = None  # stable hash of the sensor's own target id (`target_ref`), 0: none

    def __post_init__(self) -> None:
        if self.ref is None:
            self.ref = np.zeros(len(self.t), np.int64)

    def __len__(self) -> int:
        return len(self.t)

    def subset(self, idx: IntArray) -> MeasurementBatch:
        return MeasurementBatch(*(getattr(self, f)[idx] for f in _BATCH_FIELDS))


_BATCH_FIELDS = ("t", "e", "n", "r_var", "kind", "sensor_bit", "mmsi", "ve", "vn", "ref")


def ref_hash(target_ref: str | None) -> int:
    """Stable non-zero 31-bit hash of a sensor's target id (0 for none)."""
    return (zlib.crc32(target_ref.encode()) | 1) if target_ref else 0


def sensor_key(kind: str, station: str | None) -> str:
    """Provenance name of a sensor: `radar:<site>`; AIS and satellite as one sensor each per kind."""
    if kind == "radar" and station:
        return f"radar:{station}"
    return kind


def default_sigma(config: FusionConfig, kind: str) -> float:
    """The position error (1 sigma, m) of a report of this sensor kind that carries none."""
    return {
        "ais": config.ais_sigma_m,
        "radar": config.radar_sigma_m,
        "satellite": config.satellite_sigma_m,
    }.get(kind, config.radar_sigma_m)


def observations_batch(tracker: Tracker, observations: Sequence[Observation]) -> MeasurementBatch:
    """Observations as a `MeasurementBatch` in the tracker's local frame (its sensor bits and config)."""
    lat = np.array([o.lat for o in observations], dtype=float)
    lon = np.array([o.lon for o in observations], dtype=float)
    frame = tracker._ensure_frame(lat, lon)
    e, n = frame.to_en(lat, lon)
    kind = np.array([KIND_CODE[SensorKind(o.sensor).value] for o in observations], dtype=np.int64)
    keys = [sensor_key(SensorKind(o.sensor).value, o.station) for o in observations]
    sigma = np.array(
        [
            float(o.extra.get("sigma_m") or default_sigma(tracker.config, SensorKind(o.sensor).value))
            for o in observations
        ]
    )
    r_cov = as_cov(sigma**2)
    for i, o in enumerate(observations):
        if not tracker.config.radar_error_ellipse:
            break
        ex = o.extra
        if ex and ex.get("range_sigma_m") and ex.get("cross_sigma_m") and ex.get("bearing_deg") is not None:
            r_cov[i] = polar_cov(ex["range_sigma_m"], ex["cross_sigma_m"], ex["bearing_deg"])[0]
    ve, vn = velocity_en(
        [np.nan if o.sog_kn is None else o.sog_kn for o in observations],
        [np.nan if o.cog_deg is None else o.cog_deg for o in observations],
    )
    return MeasurementBatch(
        t=np.array([o.time.timestamp() for o in observations]),
        e=e,
        n=n,
        r_var=r_cov,
        kind=kind,
        sensor_bit=np.array([tracker.sensor_bit(k) for k in keys], dtype=np.int64),
        mmsi=np.array([o.mmsi or 0 for o in observations], dtype=np.int64),
        ref=np.array([ref_hash(o.target_ref) for o in observations], dtype=np.int64),
        ve=ve,
        vn=vn,
    )
