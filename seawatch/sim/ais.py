"""AIS transmissions and their reception: what shore receivers and satellite AIS passes would log.

Reporting intervals follow ITU-R M.1371 (class A: 10 s below 14 kn, 6 s to 23 kn, 2 s above, 3 min at
anchor or moored; class B: 30 s moving, 3 min below 2 kn), then every vessel is thinned to at most one
position per `ais.min_report_interval_s` (default 30 s) to keep files small: that is the documented
difference from a real feed. Statics go every `ais.static_interval_s` (type 5 for class A, 24A+24B for B).
A report is heard by every receiver within range (true distance) unless lost (independent draws)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from seawatch.sim.detection import at_range
from seawatch.sim.geodata import SimGeo, haversine_m
from seawatch.sim.nmea import encode_positions, encode_static, tag_blocks
from seawatch.sim.scenario import Scenario
from seawatch.sim.vessel import AT_ANCHOR, MOORED, SimVessel

STATIC_SEQ_IDS = 10


@dataclass
class LineBatch:
    """Output lines with their epoch times (for the global time-ordered merge)."""

    times: list[np.ndarray] = field(default_factory=list)
    lines: list[list[str]] = field(default_factory=list)

    def add(self, times: np.ndarray, lines: list[str]) -> None:
        if lines:
            self.times.append(np.asarray(times, dtype=float))
            self.lines.append(lines)

    def merged(self) -> tuple[np.ndarray, list[str]]:
        if not self.times:
            return np.zeros(0), []
        times = np.concatenate(self.times)
        flat = [line for chunk in self.lines for line in chunk]
        order = np.argsort(times, kind="stable")
        return times[order], [flat[i] for i in order.tolist()]


@dataclass
class AisResult:
    batch: LineBatch
    received: pl.DataFrame  # one row per position report heard by at least one station
    garbage: int


def _nominal_interval_s(klass: str, sog: np.ndarray, status: np.ndarray) -> np.ndarray:
    if klass == "B":
        return np.where(sog > 2.0, 30.0, 180.0)
    still = (sog < 0.5) & ((status == AT_ANCHOR) | (status == MOORED))
    return np.where(still, 180.0, np.where(sog > 23.0, 2.0, np.where(sog > 14.0, 6.0, 10.0)))


def _heard(
    sc: Scenario, rng: np.random.Generator, times: np.ndarray, lon: np.ndarray, lat: np.ndarray
) -> list[tuple[str, np.ndarray]]:
    """Per station, which of these transmissions it logs."""
    out = []
    for rx in sc.ais.receivers:
        dist = haversine_m(lon, lat, rx.lon, rx.lat)
        loss = at_range(dist, rx.range_m, rx.loss, rx.edge_loss, rx.full_range_fraction)
        out.append((rx.id, (dist <= rx.range_m) & (rng.random(len(times)) >= loss)))
    t0 = sc.start_epoch_s
    for sat in sc.ais.satellite_passes:
        a0 = t0 + sat.start_h * 3600.0
        lon0, lat0, lon1, lat1 = sat.area
        inside = (
            (times >= a0)
            & (times < a0 + sat.duration_min * 60.0)
            & (lon >= lon0)
            & (lon <= lon1)
            & (lat >= lat0)
            & (lat <= lat1)
        )
        out.append((sat.id, inside & (rng.random(len(times)) >= sat.loss)))
    return out


def _static_dicts(v: SimVessel, geo: SimGeo, sc: Scenario) -> list[dict[str, object]]:
    ident = v.identity
    bow = round(ident.length_m * 0.8)
    stern = round(ident.length_m) - bow
    port_side = int(ident.width_m // 2)
    dims = {
        "to_bow": min(bow, 511),
        "to_stern": min(stern, 511),
        "to_port": min(port_side, 63),
        "to_starboard": min(int(ident.width_m) - port_side, 63),
    }
    if ident.ais_class == "B":
        return [
            {"msg_type": 24, "mmsi": ident.mmsi, "partno": 0, "shipname": ident.name},
            {
                "msg_type": 24,
                "mmsi": ident.mmsi,
                "partno": 1,
                "ship_type": ident.ship_type,
                "callsign": ident.callsign,
                **dims,
            },
        ]
    dest, _ = geo.nearest_port_m(float(v.lon[-1]), float(v.lat[-1]))
    eta = sc.start.replace(minute=0, second=0)
    return [
        {
            "msg_type": 5,
            "mmsi": ident.mmsi,
            "ais_version": 2,
            "imo": ident.imo or 0,
            "callsign": ident.callsign,
            "shipname": ident.name,
            "ship_type": ident.ship_type,
            **dims,
            "epfd": 1,
            "month": eta.month,
            "day": eta.day,
            "hour": eta.hour,
            "minute": 0,
            "draught": round(min(25.5, max(1.0, ident.length_m / 20.0)), 1),
            "destination": "".join(ch for ch in dest.name.upper() if ch.isalnum() or ch == " ")[:20],
            "dte": 0,
        }
    ]


def simulate_ais(sc: Scenario, vessels: list[SimVessel], geo: SimGeo, rng: np.random.Generator) -> AisResult:
    batch = LineBatch()
    frames: list[pl.DataFrame] = []
    base = sc.ais.min_report_interval_s
    t_start, t_end = sc.start_epoch_s, sc.end_epoch_s
    for v in vessels:
        if not v.ais:
            continue
        lo, hi = max(t_start, float(v.t[0])), min(t_end, float(v.t[-1]))
        if hi <= lo:
            continue
        phase = float(rng.uniform(0, base))
        times = np.unique(np.floor(np.arange(lo + phase, hi, base)))
        if len(times) == 0:
            continue
        st = v.states_at(times)
        nominal = _nominal_interval_s(v.identity.ais_class, st.sog_kn, st.status)
        stride = np.maximum(1, np.round(np.maximum(nominal, base) / base)).astype(int)
        keep = (np.arange(len(times)) % stride == 0) & st.present & v.ais_on_at(times)
        times = times[keep]
        if len(times) == 0:
            continue
        true_lon, true_lat = st.lon[keep], st.lat[keep]
        rep_lon, rep_lat, _ = v.reported_position(times, true_lon, true_lat)
        n = len(times)
        moving = st.sog_kn[keep] >= 0.3
        sog = np.where(moving, np.maximum(0.0, np.round(st.sog_kn[keep] + rng.normal(0, 0.1, n), 1)), 0.0)
        cog = np.where(
            moving,
            np.round((st.cog_deg[keep] + rng.normal(0, 1.0, n)) % 360.0, 1),
            float(rng.uniform(0, 360)) // 1,
        )
        heading = np.round((cog + rng.normal(0, 2.0, n)) % 360.0) % 360
        channels = np.where(rng.random(n) < 0.5, "A", "B")
        klass = v.identity.ais_class
        status = np.asarray(st.status[keep], dtype=np.int64)
        lines = encode_positions(
            1 if klass == "A" else 18,
            v.mmsi,
            rep_lon,
            rep_lat,
            sog,
            cog,
            heading,
            (times.astype(np.int64) % 60),
            status,
            channels,
        )
        any_heard = np.zeros(n, dtype=bool)
        for station, mask in _heard(sc, rng, times, true_lon, true_lat):
            idx = np.flatnonzero(mask)
            if len(idx) == 0:
                continue
            any_heard |= mask
            tags = tag_blocks(station, times[idx].astype(np.int64))
            batch.add(times[idx], [tag + lines[i] for tag, i in zip(tags, idx.tolist(), strict=True)])
        if any_heard.any():
            frames.append(
                pl.DataFrame(
                    {
                        "t": times[any_heard],
                        "mmsi": np.full(int(any_heard.sum()), v.mmsi, dtype=np.int64),
                        "vid": [v.vid] * int(any_heard.sum()),
                        "lon": rep_lon[any_heard],
                        "lat": rep_lat[any_heard],
                        "sog_kn": sog[any_heard],
                        "cog_deg": cog[any_heard],
                    }
                )
            )
        _statics(sc, v, geo, rng, batch, lo, hi)
    garbage = _garbage(sc, rng, batch)
    received = (
        pl.concat(frames)
        if frames
        else pl.DataFrame(
            schema={
                "t": pl.Float64,
                "mmsi": pl.Int64,
                "vid": pl.Utf8,
                "lon": pl.Float64,
                "lat": pl.Float64,
                "sog_kn": pl.Float64,
                "cog_deg": pl.Float64,
            }
        )
    )
    return AisResult(batch=batch, received=received, garbage=garbage)


def _statics(
    sc: Scenario, v: SimVessel, geo: SimGeo, rng: np.random.Generator, batch: LineBatch, lo: float, hi: float
) -> None:
    interval = sc.ais.static_interval_s
    times = np.floor(np.arange(lo + float(rng.uniform(0, interval)), hi, interval))
    if len(times) == 0:
        return
    st = v.states_at(times)
    keep = st.present & v.ais_on_at(times)
    times, lon, lat = times[keep], st.lon[keep], st.lat[keep]
    if len(times) == 0:
        return
    dicts = _static_dicts(v, geo, sc)
    cache: dict[int, list[str]] = {}
    for station, mask in _heard(sc, rng, times, lon, lat):
        idx = np.flatnonzero(mask)
        tags = tag_blocks(station, times[idx].astype(np.int64))
        out_t: list[float] = []
        out_l: list[str] = []
        for tag, i in zip(tags, idx.tolist(), strict=True):
            seq = i % STATIC_SEQ_IDS
            if seq not in cache:
                cache[seq] = [s for d in dicts for s in encode_static(d, seq_id=seq)]
            for line in cache[seq]:
                out_t.append(float(times[i]))
                out_l.append(tag + line)
        batch.add(np.array(out_t), out_l)


def _garbage(sc: Scenario, rng: np.random.Generator, batch: LineBatch) -> int:
    """Deliberately broken lines the scenario asks for (bad checksum, truncated, noise)."""
    n = sc.ais.garbage_lines
    if n == 0:
        return 0
    station = sc.ais.receivers[0].id if sc.ais.receivers else "GARBAGE"
    times = np.sort(np.floor(rng.uniform(sc.start_epoch_s, sc.end_epoch_s, n)))
    tags = tag_blocks(station, times.astype(np.int64))
    lines = []
    for k, tag in enumerate(tags):
        kind = k % 3
        if kind == 0:
            lines.append(tag + "!AIVDM,1,1,,A,15MgK45P3@G?fl0E`JbR0OwT0@MS,0*00")  # wrong checksum
        elif kind == 1:
            lines.append(tag + "!AIVDM,1,1,,A,15MgK4")  # truncated
        else:
            lines.append(tag + "".join(chr(int(c)) for c in rng.integers(33, 126, 30)))  # noise
    batch.add(times, lines)
    return n
