"""True vessel states on a regular time grid (default 60 s): the basis of ground truth and states.parquet."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from seawatch.sim.vessel import SimVessel

GRID_STEP_S = 60.0


@dataclass
class StateGrid:
    times: np.ndarray  # (T,) epoch s
    vessels: list[SimVessel]
    present: np.ndarray  # (V, T) bool
    lon: np.ndarray  # true position
    lat: np.ndarray
    rep_lon: np.ndarray  # position the transponder reports (spoofed or true)
    rep_lat: np.ndarray
    sog_kn: np.ndarray
    cog_deg: np.ndarray
    ais_on: np.ndarray  # (V, T) bool: transmitting (present, AIS fitted, not switched off)

    def to_frame(self) -> pl.DataFrame:
        n_v, n_t = self.present.shape
        vid = np.repeat(np.array([v.vid for v in self.vessels], dtype=object), n_t)
        mmsi = np.repeat(np.array([v.mmsi for v in self.vessels], dtype=np.int64), n_t)
        frame = pl.DataFrame(
            {
                "t": np.tile(self.times, n_v),
                "vid": vid.tolist(),
                "mmsi": mmsi,
                "lat": self.lat.ravel(),
                "lon": self.lon.ravel(),
                "sog_kn": np.round(self.sog_kn.ravel(), 2),
                "cog_deg": np.round(self.cog_deg.ravel(), 1),
                "ais_on": self.ais_on.ravel(),
                "reported_lat": self.rep_lat.ravel(),
                "reported_lon": self.rep_lon.ravel(),
                "present": self.present.ravel(),
            }
        )
        return frame.filter(pl.col("present")).drop("present").sort(["t", "vid"])


def state_grid(
    vessels: list[SimVessel], start_s: float, end_s: float, step_s: float = GRID_STEP_S
) -> StateGrid:
    times = np.arange(start_s, end_s + 1e-6, step_s)
    shape = (len(vessels), len(times))
    arrays = {k: np.zeros(shape) for k in ("lon", "lat", "rep_lon", "rep_lat", "sog", "cog")}
    present = np.zeros(shape, dtype=bool)
    ais_on = np.zeros(shape, dtype=bool)
    for i, v in enumerate(vessels):
        st = v.states_at(times)
        present[i] = st.present
        arrays["lon"][i], arrays["lat"][i] = st.lon, st.lat
        arrays["sog"][i], arrays["cog"][i] = st.sog_kn, st.cog_deg
        r_lon, r_lat, _ = v.reported_position(times, st.lon, st.lat)
        arrays["rep_lon"][i], arrays["rep_lat"][i] = r_lon, r_lat
        ais_on[i] = st.present & v.ais_on_at(times)
    return StateGrid(
        times=times,
        vessels=vessels,
        present=present,
        lon=arrays["lon"],
        lat=arrays["lat"],
        rep_lon=arrays["rep_lon"],
        rep_lat=arrays["rep_lat"],
        sog_kn=arrays["sog"],
        cog_deg=arrays["cog"],
        ais_on=ais_on,
    )
