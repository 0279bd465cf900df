"""Coastal radars: every `report_interval_s` each site reports the vessels within range that it detects
(probability `detection_probability` near the site, falling to `edge_detection_probability` at its range:
sim/detection.py), with Gaussian range/bearing noise (so the cross-range error grows
with range), plus Poisson clutter (false contacts that never repeat at one place). Each site numbers its
own targets (1-999, reused once free); a target keeps its number while it is missed for at most 3 scans.

Timing (`timing = "staggered"`, the default): an ARPA reports each target once per report interval, at
the instant its antenna (one turn per `sweep_period_s`) crosses the target's bearing, in a sweep chosen
per target; so a site's reports arrive spread over the whole interval, each target at its own moment,
and the position reported is where the vessel is at that moment. `timing = "scan"` reports every target
of a site at the same instant (idealised). Tag-block times are in milliseconds (`c:` > 1e11), the TTM
time of day to 0.01 s. Output: `\\s:<site>,c:<epoch ms>*hh\\$<talker>TTM,...` or `...TLL,...`."""

from __future__ import annotations

import math
import zlib
from datetime import UTC, datetime

import numpy as np
import polars as pl

from seawatch.sim.ais import LineBatch
from seawatch.sim.detection import at_range
from seawatch.sim.geodata import SimGeo, bearing_deg, destination, haversine_m
from seawatch.sim.nmea import sentence, tag_block
from seawatch.sim.scenario import Radar, Scenario
from seawatch.sim.vessel import SimVessel

NM_M = 1852.0
COAST_SCANS = 3
MAX_TARGET_NUMBER = 999
REACH_MARGIN = 0.995


def _hhmmss(epoch_s: float) -> str:
    dt = datetime.fromtimestamp(round(epoch_s, 2), tz=UTC)
    return f"{dt.hour:02d}{dt.minute:02d}{dt.second + dt.microsecond / 1e6:05.2f}"


def _lat_nmea(lat: float) -> tuple[str, str]:
    a = abs(lat)
    deg = int(a)
    return f"{deg:02d}{(a - deg) * 60:07.4f}", "N" if lat >= 0 else "S"


def _lon_nmea(lon: float) -> tuple[str, str]:
    a = abs(lon)
    deg = int(a)
    return f"{deg:03d}{(a - deg) * 60:07.4f}", "E" if lon >= 0 else "W"


def ttm_body(
    talker: str, number: int, range_m: float, bearing: float, sog_kn: float, cog: float, epoch_s: float
) -> str:
    bearing, cog = round(bearing, 1) % 360.0, round(cog, 1) % 360.0
    return (
        f"{talker}TTM,{number:02d},{range_m / NM_M:.3f},{bearing:.1f},T,{sog_kn:.1f},{cog:.1f},T,,,N,,T,,"
        f"{_hhmmss(epoch_s)},A"
    )


def tll_body(talker: str, number: int, lon: float, lat: float, epoch_s: float) -> str:
    la, ns = _lat_nmea(lat)
    lo, ew = _lon_nmea(lon)
    return f"{talker}TLL,{number:02d},{la},{ns},{lo},{ew},,{_hhmmss(epoch_s)},T,"


class _Numbers:
    def __init__(self) -> None:
        self.live: dict[str, tuple[int, int]] = {}  # key -> (number, misses)
        self.next = 1

    def take(self) -> int:
        used = {n for n, _ in self.live.values()}
        for _ in range(MAX_TARGET_NUMBER):
            n = self.next
            self.next = self.next % MAX_TARGET_NUMBER + 1
            if n not in used:
                return n
        return self.next

    def seen(self, key: str) -> int:
        number = self.live[key][0] if key in self.live else self.take()
        self.live[key] = (number, 0)
        return number

    def missed(self, keys: set[str]) -> None:
        for key in list(self.live):
            if key in keys:
                continue
            number, misses = self.live[key]
            if misses + 1 > COAST_SCANS:
                del self.live[key]
            else:
                self.live[key] = (number, misses + 1)


def simulate_radars(
    sc: Scenario, vessels: list[SimVessel], geo: SimGeo, rng: np.random.Generator
) -> tuple[LineBatch, pl.DataFrame]:
    batch = LineBatch()
    rows: list[pl.DataFrame] = []
    for site in sc.radars:
        b, frame = _one_site(sc, site, vessels, geo, rng)
        batch.times.extend(b.times)
        batch.lines.extend(b.lines)
        rows.append(frame)
    contacts = pl.concat(rows) if rows else pl.DataFrame()
    return batch, contacts


def _one_site(
    sc: Scenario, site: Radar, vessels: list[SimVessel], geo: SimGeo, rng: np.random.Generator
) -> tuple[LineBatch, pl.DataFrame]:
    times = np.arange(sc.start_epoch_s, sc.end_epoch_s, site.report_interval_s)
    # which vessels can ever be in range: a cheap prefilter on the trajectory's bounding box
    lat_m = 111_320.0
    lon_m = lat_m * math.cos(math.radians(site.lat))
    candidates = []
    for v in vessels:
        dx = np.maximum(0, np.maximum(v.lon.min() - site.lon, site.lon - v.lon.max())) * lon_m
        dy = np.maximum(0, np.maximum(v.lat.min() - site.lat, site.lat - v.lat.max())) * lat_m
        if math.hypot(float(dx), float(dy)) <= site.range_m * 1.05:
            candidates.append(v)
    n_v, n_t = len(candidates), len(times)
    lon = np.empty((n_v, n_t))
    lat = np.empty((n_v, n_t))
    sog = np.empty((n_v, n_t))
    cog = np.empty((n_v, n_t))
    present = np.empty((n_v, n_t), dtype=bool)
    report_t = np.broadcast_to(times, (n_v, n_t)).copy()  # when each (vessel, interval) is reported
    for i, v in enumerate(candidates):
        st = v.states_at(times)
        if site.timing == "staggered":
            offsets = _report_offsets_s(site, v.vid, bearing_deg(site.lon, site.lat, st.lon, st.lat))
            report_t[i] = np.round(report_t[i] + offsets, 3)  # the tag block carries milliseconds
            st = v.states_at(report_t[i])
        lon[i], lat[i], sog[i], cog[i], present[i] = st.lon, st.lat, st.sog_kn, st.cog_deg, st.present
    present &= report_t < sc.end_epoch_s
    rng_m = haversine_m(site.lon, site.lat, lon, lat)
    visible = present & (rng_m <= site.range_m)
    pd = at_range(rng_m, site.range_m, site.detection_probability, site.edge_detection_probability,
                  site.full_range_fraction)  # fmt: skip
    detected = visible & (rng.random(visible.shape) < pd)
    # every detection's measurement at once (order: scan, then vessel)
    det_j, det_i = np.nonzero(detected.T)
    n_det = len(det_i)
    true_r = rng_m[det_i, det_j]
    meas_r = np.maximum(1.0, true_r + rng.normal(0, site.range_sigma_m, n_det))
    meas_b = (
        bearing_deg(site.lon, site.lat, lon[det_i, det_j], lat[det_i, det_j])
        + rng.normal(0, site.bearing_sigma_deg, n_det)
    ) % 360.0
    # the radar reports only what falls inside its instrumented range (small margin for geodesy)
    inside = meas_r <= site.range_m * REACH_MARGIN
    det_i, det_j, true_r, meas_r, meas_b = (
        det_i[inside],
        det_j[inside],
        true_r[inside],
        meas_r[inside],
        meas_b[inside],
    )
    n_det = len(det_i)
    meas_lon, meas_lat = _destination(site.lon, site.lat, meas_b, meas_r)
    meas_sog = np.maximum(0.0, sog[det_i, det_j] + rng.normal(0, 0.3, n_det))
    meas_cog = (cog[det_i, det_j] + rng.normal(0, 2.0, n_det)) % 360.0
    numbers = _Numbers()
    out_t: list[float] = []
    out_l: list[str] = []
    rec: dict[str, list[object]] = {
        k: []
        for k in (
            "site",
            "t",
            "target_number",
            "vid",
            "true_lon",
            "true_lat",
            "lon",
            "lat",
            "range_m",
            "sog_kn",
        )
    }
    bounds = np.searchsorted(det_j, np.arange(n_t + 1))
    det_t = report_t[det_i, det_j]
    for j, t_interval in enumerate(times.tolist()):
        seen: set[str] = set()
        for k in range(int(bounds[j]), int(bounds[j + 1])):
            i = int(det_i[k])
            t = float(det_t[k])
            tag = tag_block(site.id, round(t * 1000))
            vid = candidates[i].vid
            seen.add(vid)
            number = numbers.seen(vid)
            vals = (
                float(meas_r[k]),
                float(meas_b[k]),
                float(meas_sog[k]),
                float(meas_cog[k]),
                float(meas_lon[k]),
                float(meas_lat[k]),
            )
            _emit(site, number, *vals, t, tag, out_t, out_l)
            for key, val in (
                ("site", site.id),
                ("t", t),
                ("target_number", number),
                ("vid", vid),
                ("true_lon", float(lon[i, j])),
                ("true_lat", float(lat[i, j])),
                ("lon", vals[4]),
                ("lat", vals[5]),
                ("range_m", vals[0]),
                ("sog_kn", vals[2]),
            ):
                rec[key].append(val)
        numbers.missed(seen)
        for _ in range(int(rng.poisson(site.clutter_per_scan))):
            r_m = float(site.range_m * REACH_MARGIN * math.sqrt(rng.uniform(0.01, 1.0)))
            brg = float(rng.uniform(0, 360))
            t = t_interval
            if site.timing == "staggered":
                t += float(rng.integers(0, _sweeps_per_report(site))) * site.sweep_period_s
                t = round(t + brg / 360.0 * site.sweep_period_s, 3)
                if t >= sc.end_epoch_s:
                    continue
            tag = tag_block(site.id, round(t * 1000))
            m_lon, m_lat = destination(site.lon, site.lat, brg, r_m)
            if geo.on_land(np.array([m_lon]), np.array([m_lat]))[0]:
                continue
            number = numbers.take()
            s_kn, c_deg = float(rng.uniform(0, 4)), float(rng.uniform(0, 360))
            _emit(site, number, r_m, brg, s_kn, c_deg, m_lon, m_lat, t, tag, out_t, out_l)
            clutter_row: tuple[tuple[str, object], ...] = (
                ("site", site.id),
                ("t", t),
                ("target_number", number),
                ("vid", None),
                ("true_lon", None),
                ("true_lat", None),
                ("lon", m_lon),
                ("lat", m_lat),
                ("range_m", r_m),
                ("sog_kn", s_kn),
            )
            for c_key, c_val in clutter_row:
                rec[c_key].append(c_val)
    batch = LineBatch()
    batch.add(np.array(out_t), out_l)
    schema = {
        "site": pl.Utf8,
        "t": pl.Float64,
        "target_number": pl.Int64,
        "vid": pl.Utf8,
        "true_lon": pl.Float64,
        "true_lat": pl.Float64,
        "lon": pl.Float64,
        "lat": pl.Float64,
        "range_m": pl.Float64,
        "sog_kn": pl.Float64,
    }
    return batch, pl.DataFrame(rec, schema=schema)


def _sweeps_per_report(site: Radar) -> int:
    return max(1, round(site.report_interval_s / site.sweep_period_s))


def _report_offsets_s(site: Radar, vid: str, bearing: np.ndarray) -> np.ndarray:
    """Seconds after each interval's start at which the site reports this vessel: the sweep it is due
    in (fixed per target, spread over the interval) plus the beam's time to reach its bearing."""
    sweep = zlib.crc32(f"{site.id}:{vid}".encode()) % _sweeps_per_report(site)
    return (sweep + np.asarray(bearing) % 360.0 / 360.0) * site.sweep_period_s


def _destination(
    lon: float, lat: float, bearing: np.ndarray, dist_m: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    b = np.radians(bearing)
    d_lat = dist_m * np.cos(b) / 111_320.0
    d_lon = dist_m * np.sin(b) / (111_320.0 * math.cos(math.radians(lat)))
    return lon + d_lon, lat + d_lat


def _emit(
    site: Radar,
    number: int,
    r_m: float,
    brg: float,
    s_kn: float,
    c_deg: float,
    m_lon: float,
    m_lat: float,
    t: float,
    tag: str,
    out_t: list[float],
    out_l: list[str],
) -> None:
    if site.sentence == "TTM":
        body = ttm_body(site.talker, number, r_m, brg, s_kn, c_deg, t)
    else:
        body = tll_body(site.talker, number, m_lon, m_lat, t)
    out_t.append(t)
    out_l.append(tag + sentence(body))
