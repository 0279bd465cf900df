"""Track building: per-vessel ordering, de-duplication and cleaning flags, in bulk and live form.

Definitions (both forms):
- Key: `track_id` when set, else `mmsi:<mmsi>`; a row with neither is flagged `no_identity`.
- Flags (a row with any flag is counted and kept in `TrackFrame.flagged`, never used by detectors):
  `no_time` (unknown time), `invalid_position` (missing, NaN or out-of-range lat/lon), `null_island`
  (within 0.01° of 0,0), `before_2000` (before `tracks.earliest_time`), `future` (after now +
  `tracks.max_future_s`; only when the caller gives `now_s`), `no_identity`, `duplicate` (same key and
  same time as an earlier row: the first one in input order is kept).
- Order: bulk sorts each track by time, so out-of-order rows are simply put in place. The live form
  needs time order per track (a reorder feeder goes before it): a fix older than the track's last one
  is counted `out_of_order` and ignored.
- Per fix: `dt_s`, `dist_m`, `implied_kn` from the previous used fix of the same track; `speed_kn` is the
  reported SOG, else the implied speed when the fixes are ≥ `tracks.min_speed_dt_s` apart, else unknown.
- Jumps (judged against the track's last good fix, see `jumps.py`: one outlier is one jump, and the fix
  after it is measured from the good fix before it): a fix `dist_m` ≥ `position_jump.min_distance_m`
  (radar/satellite: also ≥ `non_ais_sigma_factor` × the two fixes' combined error when they carry it,
  else ≥ `non_ais_min_distance_m`) with `implied_kn` >
  `position_jump.min_implied_sog_kn` is a jump. It stays in the track (a transmission happened: it
  counts for gaps) but is left out of speed, loitering, pair, port and zone detectors.
- A single-fix track is a valid track: it can start a zone/port/watchlist event only where one fix is
  enough. Two ships sharing one MMSI show as repeated jumps: `position_jump` and `identity_conflict`.
- Positions on land are kept (Natural Earth is generalised to ~1 km; rivers and docks exist): they are
  0 m from shore, so they never start shore-gated events (gaps, loitering).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import polars as pl

from seawatch.detect.context import DetectContext
from seawatch.detect.jumps import JumpRule, LiveAnchor, judge_bulk, judge_live, sigma_column
from seawatch.geo.distance import MS_PER_KN, consecutive_m, haversine_1

FLAGS = {
    "no_time": 1,
    "invalid_position": 2,
    "null_island": 4,
    "before_2000": 8,
    "future": 16,
    "no_identity": 32,
    "duplicate": 64,
}
NULL_ISLAND_DEG = 0.01

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass
class TrackFrame:
    """Used fixes sorted by (track, time) as numpy arrays, plus the flagged rows and counts."""

    kid: IntArray  # track number per fix (0..n_tracks-1), sorted
    t: FloatArray
    lat: FloatArray
    lon: FloatArray
    sog_kn: FloatArray  # reported, NaN when absent
    speed_kn: FloatArray  # reported or implied, NaN when unknown
    dt_s: FloatArray  # from the previous fix of the track, NaN on a track's first fix
    dist_m: FloatArray
    implied_kn: FloatArray
    jump: BoolArray
    is_ais: BoolArray
    keys: list[str]  # per track
    track_mmsi: IntArray  # per track, -1 when unknown
    track_ids: list[str | None]  # per track: the tracker's id, None for raw AIS
    first: BoolArray  # first fix of its track
    flagged: pl.DataFrame  # rows not used, with a `flags` column (bitmask of FLAGS)
    counts: dict[str, int] = field(default_factory=dict)
    membership: BoolArray | None = None  # (n, zones) fix inside zone, set by detect_bulk when zones exist

    def __len__(self) -> int:
        return int(self.t.shape[0])

    @property
    def mmsi(self) -> IntArray:
        return self.track_mmsi[self.kid]

    @property
    def n_tracks(self) -> int:
        return len(self.keys)


def _flag_exprs(ctx: DetectContext) -> pl.Expr:
    cfg = ctx.config.tracks
    lat, lon, t = pl.col("lat"), pl.col("lon"), pl.col("t")
    bad_pos = (
        lat.is_null() | lon.is_null() | lat.is_nan() | lon.is_nan() | (lat.abs() > 90) | (lon.abs() > 180)
    )
    rules: list[tuple[str, pl.Expr]] = [
        ("no_time", t.is_null() | t.is_nan()),
        ("invalid_position", bad_pos),
        ("null_island", (lat.abs() < NULL_ISLAND_DEG) & (lon.abs() < NULL_ISLAND_DEG)),
        ("before_2000", t < cfg.earliest_epoch_s),
        ("no_identity", pl.col("track_id").is_null() & pl.col("mmsi").is_null()),
    ]
    if ctx.now_s is not None:
        rules.append(("future", t > ctx.now_s + cfg.max_future_s))
    expr = pl.lit(0, dtype=pl.Int64)
    for name, cond in rules:
        expr = expr + pl.when(cond.fill_null(False)).then(FLAGS[name]).otherwise(0)
    return expr.alias("flags")


def _mmsi_time_order(mmsi: IntArray, t: FloatArray) -> IntArray:
    """Stable order by (mmsi, t) through one integer key, much faster than a two-key sort.

    Key: (MMSI << 33) | whole seconds since the first fix (272 years). Fixes in the same second keep
    their input order; if any of those is out of order the exact two-key sort is used instead.
    """
    if t.size < 2:
        return np.arange(t.size, dtype=np.int64)
    t_s = np.floor(t - t.min()).astype(np.int64)
    if mmsi.min() < 0 or mmsi.max() >= 1 << 30 or t_s.max() >= 1 << 33:
        return np.lexsort((t, mmsi))
    order = np.argsort((mmsi.astype(np.int64) << 33) | t_s, kind="stable")
    m_sorted, t_sorted = mmsi[order], t[order]
    if np.any((m_sorted[1:] == m_sorted[:-1]) & (t_sorted[1:] < t_sorted[:-1])):
        return np.lexsort((t, mmsi))
    return order


@dataclass
class _Ordered:
    """Rows of the unflagged frame in (track, time) order, duplicates included."""

    order: IntArray  # row numbers in the unflagged frame
    new: BoolArray  # per ordered row: the first of its track
    dup: BoolArray  # per ordered row: same track and time as the previous ordered row


def _order_by_mmsi(good: pl.DataFrame) -> _Ordered:
    """No tracker ids (raw AIS, the usual case): the track is the MMSI; all in numpy, no frame copies."""
    mmsi = good["mmsi"].to_numpy()
    t = good["t"].to_numpy()
    order = _mmsi_time_order(mmsi, t)
    m, ts = mmsi[order], t[order]
    new = np.ones(order.size, dtype=bool)
    new[1:] = m[1:] != m[:-1]
    dup = np.zeros(order.size, dtype=bool)
    dup[1:] = ~new[1:] & (ts[1:] == ts[:-1])
    return _Ordered(order=order, new=new, dup=dup)


def _order_by_key(good: pl.DataFrame) -> _Ordered:
    """Some rows carry a tracker id: raw AIS rows by (mmsi, t) first, then tracked rows by (id, t)."""
    indexed = good.select("mmsi", "t", "track_id").with_row_index("_pos")
    raw = indexed.filter(pl.col("track_id").is_null())
    raw = raw[_mmsi_time_order(raw["mmsi"].to_numpy(), raw["t"].to_numpy())]
    tracked = indexed.filter(pl.col("track_id").is_not_null()).sort(["track_id", "t"], maintain_order=True)
    both = pl.concat([raw, tracked])
    key_change = (
        (pl.col("mmsi") != pl.col("mmsi").shift(1)).fill_null(True)
        | (pl.col("track_id").is_null() != pl.col("track_id").shift(1).is_null()).fill_null(True)
        | (pl.col("track_id") != pl.col("track_id").shift(1)).fill_null(False)
    )
    tracked_change = (pl.col("track_id") != pl.col("track_id").shift(1)).fill_null(True)
    new_track = pl.when(pl.col("track_id").is_null()).then(key_change).otherwise(tracked_change)
    marks = both.select(new_track.alias("new")).with_columns(
        ((~pl.col("new")) & (both["t"] == both["t"].shift(1))).fill_null(False).alias("dup")
    )
    return _Ordered(
        order=both["_pos"].to_numpy().astype(np.int64),
        new=marks["new"].to_numpy().astype(bool),
        dup=marks["dup"].to_numpy().astype(bool),
    )


def build_tracks(positions: pl.DataFrame, ctx: DetectContext) -> TrackFrame:
    """Flag, order and de-duplicate fixes per track; derive dt, distance, speeds and jumps."""
    cols = {
        "t": pl.Float64,
        "mmsi": pl.Int64,
        "lat": pl.Float64,
        "lon": pl.Float64,
        "sog_kn": pl.Float64,
        "sensor": pl.Utf8,
        "track_id": pl.Utf8,
    }
    df = positions.select(
        [(pl.col(c) if c in positions.columns else pl.lit(None)).cast(d).alias(c) for c, d in cols.items()]
        + [sigma_column(positions)]
    ).with_row_index("row")
    df = df.with_columns(_flag_exprs(ctx))
    any_flag = bool((df["flags"] != 0).any())
    good = df.filter(pl.col("flags") == 0) if any_flag else df  # no copy when nothing is flagged
    tracked = good["track_id"].null_count() < good.height
    ordered = _order_by_key(good) if tracked else _order_by_mmsi(good)
    keep = ordered.order[~ordered.dup]  # the fixes used, as rows of `good`, in track/time order
    new = ordered.new[~ordered.dup]
    kid = np.cumsum(new) - 1
    t = np.asarray(good["t"].to_numpy()[keep], dtype=np.float64)
    lat = np.asarray(good["lat"].to_numpy()[keep], dtype=np.float64)
    lon = np.asarray(good["lon"].to_numpy()[keep], dtype=np.float64)
    sog = np.asarray(good["sog_kn"].to_numpy()[keep], dtype=np.float64)  # nulls read as NaN
    is_ais = np.asarray((good["sensor"].fill_null("ais") == "ais").to_numpy()[keep], dtype=bool)
    sigma = np.asarray(good["sigma_m"].to_numpy()[keep], dtype=np.float64)
    first_rows = keep[np.flatnonzero(new)]
    track_mmsi = np.asarray(good["mmsi"].fill_null(-1).to_numpy()[first_rows], dtype=np.int64)
    track_ids: list[str | None] = (
        good["track_id"].gather(first_rows).to_list() if tracked else [None] * int(first_rows.size)
    )
    if tracked:  # a fused track's MMSI may arrive after its first fix: its first known MMSI in time order
        used = good[keep]
        known = used.filter(pl.col("track_id").is_not_null() & pl.col("mmsi").is_not_null())
        by_track = dict(known.group_by("track_id").agg(pl.col("mmsi").first()).iter_rows())
        track_mmsi = np.array(
            [
                by_track.get(tid, -1) if tid is not None else m
                for tid, m in zip(track_ids, track_mmsi, strict=True)
            ],
            dtype=np.int64,
        )
    keys = [tid if tid is not None else f"mmsi:{m}" for tid, m in zip(track_ids, track_mmsi, strict=True)]
    dup_rows = ordered.order[ordered.dup]
    dups = good[dup_rows] if dup_rows.size else good.clear()

    dt = np.full(t.shape, np.nan)
    dist = np.full(t.shape, np.nan)
    if t.size > 1:
        dt[1:] = t[1:] - t[:-1]
        dist[1:] = consecutive_m(lat, lon)
    dt[new] = np.nan
    dist[new] = np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        implied = dist / dt / MS_PER_KN
    jump = judge_bulk(jump_rule(ctx), t, lat, lon, dt, dist, implied, is_ais, sigma)
    min_dt = ctx.config.tracks.min_speed_dt_s
    speed = np.where(np.isfinite(sog), sog, np.where(dt >= min_dt, implied, np.nan))

    flagged = pl.concat(
        [
            df.filter(pl.col("flags") != 0),
            dups.select(df.columns).with_columns(pl.lit(FLAGS["duplicate"], dtype=pl.Int64).alias("flags")),
        ]
    )
    counts = {name: int(((flagged["flags"] & bit) != 0).sum()) for name, bit in FLAGS.items()}
    counts = {k: v for k, v in counts.items() if v}
    counts["used"] = int(t.size)
    counts["tracks"] = len(keys)
    return TrackFrame(
        kid=kid.astype(np.int64),
        t=t,
        lat=lat,
        lon=lon,
        sog_kn=sog,
        speed_kn=speed,
        dt_s=dt,
        dist_m=dist,
        implied_kn=implied,
        jump=jump,
        is_ais=is_ais,
        keys=keys,
        track_mmsi=track_mmsi,
        track_ids=track_ids,
        first=new,
        flagged=flagged,
        counts=counts,
    )


def jump_rule(ctx: DetectContext) -> JumpRule:
    cfg = ctx.config.position_jump
    return JumpRule(
        cfg.min_distance_m, cfg.min_implied_sog_kn, cfg.non_ais_min_distance_m, cfg.non_ais_sigma_factor
    )


@dataclass(slots=True)
class LiveFix:
    """One used fix in the live form, with what the track builder derived from the previous one."""

    key: str
    mmsi: int  # -1 when unknown
    track_id: str | None
    t: float
    lat: float
    lon: float
    sog_kn: float
    speed_kn: float
    dt_s: float
    dist_m: float
    implied_kn: float
    jump: bool
    is_ais: bool
    first: bool
    zones: frozenset[int] = frozenset()  # indices of the zones containing the fix


@dataclass(slots=True)
class _TrackState:
    mmsi: int
    last_t: float
    last_lat: float
    last_lon: float
    last_sigma_m: float = math.nan


class LiveTrackBuilder:
    """The live form of `build_tracks`: flags a fix, or returns it with dt, distance, speeds and jump."""

    def __init__(self, ctx: DetectContext) -> None:
        self.ctx = ctx
        self.tracks: dict[str, _TrackState] = {}
        self.counts: dict[str, int] = {}
        cfg = ctx.config
        self._earliest = cfg.tracks.earliest_epoch_s
        self._latest = math.inf if ctx.now_s is None else ctx.now_s + cfg.tracks.max_future_s
        self._min_dt = cfg.tracks.min_speed_dt_s
        self._jump_rule = jump_rule(ctx)
        self.anchors: dict[str, LiveAnchor] = {}

    def _count(self, name: str) -> None:
        self.counts[name] = self.counts.get(name, 0) + 1

    def flag(
        self, t: float | None, lat: float | None, lon: float | None, mmsi: int | None, track_id: str | None
    ) -> str | None:
        """The first flag that applies (in FLAGS order), or None for a usable fix."""
        if t is None or math.isnan(t):
            return "no_time"
        if lat is None or lon is None or not (abs(lat) <= 90 and abs(lon) <= 180):
            return "invalid_position"
        if abs(lat) < NULL_ISLAND_DEG and abs(lon) < NULL_ISLAND_DEG:
            return "null_island"
        if t < self._earliest:
            return "before_2000"
        if t > self._latest:
            return "future"
        if track_id is None and mmsi is None:
            return "no_identity"
        return None

    def add(
        self,
        t: float | None,
        lat: float | None,
        lon: float | None,
        mmsi: int | None,
        track_id: str | None,
        sog_kn: float | None,
        is_ais: bool,
        sigma_m: float | None = None,
    ) -> LiveFix | None:
        reason = self.flag(t, lat, lon, mmsi, track_id)
        if reason is not None:
            self._count(reason)
            return None
        assert t is not None and lat is not None and lon is not None
        key = track_id if track_id is not None else f"mmsi:{mmsi}"
        state = self.tracks.get(key)
        sog = math.nan if sog_kn is None else float(sog_kn)
        sigma = math.nan if sigma_m is None else float(sigma_m)
        if state is None:
            m = -1 if mmsi is None else int(mmsi)
            self.tracks[key] = _TrackState(m, t, lat, lon, sigma)
            self.anchors[key] = LiveAnchor(t, lat, lon, sigma)
            self._count("used")
            return LiveFix(
                key, m, track_id, t, lat, lon, sog, sog, math.nan, math.nan, math.nan, False, is_ais, True
            )
        if t <= state.last_t:
            self._count("duplicate" if t == state.last_t else "out_of_order")
            return None
        if state.mmsi < 0 and mmsi is not None:
            state.mmsi = int(mmsi)
        dt = t - state.last_t
        dist = haversine_1(state.last_lat, state.last_lon, lat, lon)
        implied = dist / dt / MS_PER_KN
        rule, anchor = self._jump_rule, self.anchors[key]
        jump, dt, dist, implied = judge_live(
            rule, anchor, t, lat, lon, dt, dist, implied, is_ais, sigma, state.last_sigma_m
        )
        speed = sog if not math.isnan(sog) else (implied if dt >= self._min_dt else math.nan)
        state.last_t, state.last_lat, state.last_lon, state.last_sigma_m = t, lat, lon, sigma
        self._count("used")
        return LiveFix(
            key, state.mmsi, track_id, t, lat, lon, sog, speed, dt, dist, implied, jump, is_ais, False
        )
