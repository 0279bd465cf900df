"""AIS position archives in CSV (plain or gzip): MarineCadastre/NOAA and a generic column mapping.

Column mapping (case-insensitive header names; the first alias present wins):

| role | aliases |
|---|---|
| time (UTC) | `BaseDateTime`, `timestamp_utc`, `timestamp`, `time`, `datetime`, `t` |
| mmsi | `MMSI`, `mmsi`, `user_id` |
| lat / lon | `LAT`/`lat`/`latitude`/`y`, `LON`/`lon`/`longitude`/`long`/`x` |
| sog_kn | `SOG`/`speed`/`sog_kn` |
| cog_deg | `COG`/`course`/`cog_deg` |
| heading_deg | `Heading`/`true_heading`/`heading_deg` |
| static | `VesselName`/`shipname`, `CallSign`/`callsign`, `IMO`/`imo`, `VesselType`/`ship_type`, |
| | `Length`/`length_m`, `Width`/`width_m`, `Draft`/`draught` |
| extra kept | `Status`/`status`, `TransceiverClass`/`TranscieverClass`, `traj_id` |

A CSV is recognised when its header has a time, an MMSI, a latitude and a longitude column; pass a
`CsvColumnMapping` to `load_csv` for other names. Time is ISO 8601 (`T` or space separated, naive =
UTC) or epoch seconds. Sentinels become nulls: heading 511 (any ≥ 360), SOG ≥ 102.3, COG ≥ 360,
lat 91 / lon 181. Negative COG (present in some MarineCadastre files) is taken modulo 360.
`IMO8207721` becomes 8207721. Rows without a usable time, MMSI, lat or lon, or with a position out of
range, are `Rejected` (`csv_bad_time`, `csv_bad_mmsi`, `csv_bad_position`).

Tracktable trajectory ids (`traj_id`) are kept as an extra column, not as `track_id` (which belongs
to the tracker): one vessel's trajectories are split on gaps that the gap detector must still see.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, fields
from pathlib import Path

import polars as pl

from seawatch.model.columns import STATIC_SCHEMA, conform_positions
from seawatch.model.observation import AisStatic, Observation, Rejected, SensorKind
from seawatch.sources.formats import FormatSpec, LoadResult, read_head, read_input, register_format
from seawatch.timeutil import utc_from_epoch

log = logging.getLogger(__name__)

MARINECADASTRE_COLUMNS = (
    "MMSI",
    "BaseDateTime",
    "LAT",
    "LON",
    "SOG",
    "COG",
    "Heading",
    "VesselName",
    "IMO",
    "CallSign",
    "VesselType",
    "Status",
    "Length",
    "Width",
    "Draft",
    "Cargo",
    "TransceiverClass",
)


@dataclass(frozen=True)
class CsvColumnMapping:
    """Which CSV column plays which role (None: absent)."""

    t: str
    mmsi: str
    lat: str
    lon: str
    sog_kn: str | None = None
    cog_deg: str | None = None
    heading_deg: str | None = None
    shipname: str | None = None
    callsign: str | None = None
    imo: str | None = None
    ship_type: str | None = None
    length_m: str | None = None
    width_m: str | None = None
    draught_m: str | None = None
    status: str | None = None
    transceiver_class: str | None = None
    traj_id: str | None = None


ALIASES: dict[str, tuple[str, ...]] = {
    "t": ("basedatetime", "timestamp_utc", "timestamp", "time", "datetime", "t"),
    "mmsi": ("mmsi", "user_id"),
    "lat": ("lat", "latitude", "y"),
    "lon": ("lon", "longitude", "long", "x"),
    "sog_kn": ("sog", "speed", "sog_kn"),
    "cog_deg": ("cog", "course", "cog_deg"),
    "heading_deg": ("heading", "true_heading", "heading_deg"),
    "shipname": ("vesselname", "shipname", "vessel_name", "name"),
    "callsign": ("callsign", "call_sign"),
    "imo": ("imo",),
    "ship_type": ("vesseltype", "ship_type", "shiptype"),
    "length_m": ("length", "length_m"),
    "width_m": ("width", "width_m"),
    "draught_m": ("draft", "draught", "draught_m"),
    "status": ("status", "nav_status"),
    "transceiver_class": ("transceiverclass", "transcieverclass"),
    "traj_id": ("traj_id",),
}


def mapping_from_header(header: list[str]) -> CsvColumnMapping | None:
    """The generic mapping for a header, or None when time/MMSI/lat/lon are not all present."""
    lower = {name.strip().lower(): name for name in header}
    found: dict[str, str | None] = {}
    for role in (f.name for f in fields(CsvColumnMapping)):
        found[role] = next((lower[a] for a in ALIASES[role] if a in lower), None)
    if not all(found[r] for r in ("t", "mmsi", "lat", "lon")):
        return None
    return CsvColumnMapping(**found)  # type: ignore[arg-type]


def _header(head: bytes) -> list[str]:
    first = head.split(b"\n", 1)[0].strip().decode("utf-8", "replace").lstrip("\ufeff")
    return [c.strip().strip('"') for c in first.split(",")]


def sniff_csv(path: Path, head: bytes) -> bool:
    if b"," not in head.split(b"\n", 1)[0]:
        return False
    return mapping_from_header(_header(head)) is not None


def _number(text: pl.Series) -> pl.Series:
    """A text column as Float64, the value of each stripped text (null where it is no number).

    Parsed as it is first, and stripped only where that fails: the same values as parsing every text
    stripped (a text that parses as is parses the same stripped), without a stripped copy of the column.
    A column the CSV reader already parsed (see `_read_numbers_typed`) is returned as it is.
    """
    if text.dtype == pl.Float64:
        return text
    fast = text.cast(pl.Float64, strict=False)
    missed = fast.is_null() & text.is_not_null()
    if not missed.any():
        return fast
    stripped = text.filter(missed).str.strip_chars().cast(pl.Float64, strict=False)
    return fast.scatter(missed.arg_true(), stripped)


def _time_expr(col: str) -> pl.Expr:
    text = pl.col(col).str.strip_chars().str.replace(" ", "T").str.replace(r"Z$|\+00:00$", "")
    parsed = text.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", time_unit="us", strict=False)
    iso_s = parsed.dt.epoch("us").cast(pl.Float64) / 1e6
    return pl.coalesce(iso_s, pl.col(col).str.strip_chars().cast(pl.Float64, strict=False))


_FAST_TIME_FORMATS = {" ": "%Y-%m-%d %H:%M:%S", "T": "%Y-%m-%dT%H:%M:%S"}


def _parse_times(raw: pl.DataFrame, col: str) -> pl.Series:
    """Epoch seconds of the time column: one exact-format pass (the archive's format, from its first
    value), then `_time_expr` for the rows it could not parse (other ISO forms, epoch seconds)."""
    text = raw[col]
    first = text.drop_nulls().head(1).to_list()
    fmt = _FAST_TIME_FORMATS.get(first[0][10:11]) if first else None
    if fmt is None:
        return raw.select(_time_expr(col)).to_series()
    fast = text.str.strptime(pl.Datetime("us"), fmt, strict=False, cache=False)
    secs = fast.dt.epoch("us").cast(pl.Float64) / 1e6
    missing = secs.is_null()
    if missing.any():
        slow = raw.filter(missing).select(_time_expr(col)).to_series()
        secs = secs.scatter(missing.arg_true(), slow)
    return secs


def _clean_text(col: str | None) -> pl.Expr:
    if col is None:
        return pl.lit(None, dtype=pl.Utf8)
    text = pl.col(col).str.strip_chars()
    return pl.when(text.str.len_chars() > 0).then(text).otherwise(None)


def read_csv_frame(path: Path | bytes) -> pl.DataFrame:
    """Every column as text (so nothing is lost to type inference). Polars reads the file itself (and
    gunzips it): half the CPU of handing it the bytes, and no copy of the file in Python."""
    return pl.read_csv(path, infer_schema=False, truncate_ragged_lines=True)


def _csv_columns(path: Path) -> list[str]:
    """Column names as the CSV reader sees them, from the first bytes of the file (gunzipped)."""
    first = read_head(path).split(b"\n", 1)[0]
    return pl.read_csv(first + b"\n", n_rows=0, infer_schema=False).columns


def _read_numbers_typed(path: Path | bytes, numeric: list[str]) -> pl.DataFrame | None:
    """The file with the `numeric` columns parsed by the CSV reader as Float64 (the rest as text), or
    None if any of their values is not a plain number (then the text path handles them one by one).

    Where the reader accepts a value it gives what stripping and casting the text gives (a number with
    surrounding spaces, a word, `NA` make it refuse the whole file), for ~20 % less CPU and no text
    copy of those columns (60 MB on 1.2 M rows)."""
    try:
        return pl.read_csv(
            path,
            infer_schema=False,
            truncate_ragged_lines=True,
            schema_overrides=dict.fromkeys(numeric, pl.Float64),
        )
    except pl.exceptions.ComputeError:
        return None


def _read_frames(source: Path | bytes, numeric: list[str]) -> tuple[pl.DataFrame | None, pl.DataFrame]:
    """The file with its numbers parsed by the reader if it can (else None), and the frame to work on."""
    typed = _read_numbers_typed(source, numeric)
    return typed, typed if typed is not None else read_csv_frame(source)


def load_csv(path: Path, mapping: CsvColumnMapping | None = None, source: str | None = None) -> LoadResult:
    """Load a whole AIS CSV into `POSITION_SCHEMA` positions and `STATIC_SCHEMA` statics."""
    src = source or str(path)
    if mapping is None:
        columns = _csv_columns(path)
        mapping = mapping_from_header(columns)
        if mapping is None:
            from seawatch.errors import InputError

            raise InputError(f"{path}: CSV header has no time/MMSI/lat/lon columns: {columns}")
    m = mapping
    numeric = {
        role: col
        for role, col in (
            ("_lat_in", m.lat),
            ("_lon_in", m.lon),
            ("_mmsi_f", m.mmsi),
            ("_sog", m.sog_kn),
            ("_cog", m.cog_deg),
            ("_heading", m.heading_deg),
            ("_ship_type", m.ship_type),
            ("_length", m.length_m),
            ("_width", m.width_m),
            ("_draught", m.draught_m),
            ("_status", m.status),
        )
        if col is not None
    }

    number_cols = list(dict.fromkeys(numeric.values()))
    csv_input: Path | bytes = path
    cut: Rejected | None = None
    try:
        typed, raw = _read_frames(csv_input, number_cols)
    except OSError:  # the reader could not get through it: a damaged gzip file keeps its good lines
        csv_input, cut = read_input(path)
        if cut is None:
            raise
        typed, raw = _read_frames(csv_input, number_cols)

    def _num(role: str) -> pl.Expr:  # each numeric column parsed once, up front
        return pl.col(role) if role in numeric else pl.lit(None, dtype=pl.Float64)

    sog = _num("_sog")
    cog = _num("_cog")
    heading = _num("_heading")
    lat = pl.col("_lat_in")
    lon = pl.col("_lon_in")
    frame = raw.with_columns(
        _parse_times(raw, m.t).alias("_t_s"),
        *[_number(raw[col]).alias(role) for role, col in numeric.items()],
    ).select(
        pl.col("_t_s").alias("t"),
        lat,
        lon,
        pl.col("_mmsi_f"),
        pl.when((lat == 91.0) | (lon == 181.0)).then(None).otherwise(lat).alias("lat"),
        pl.when((lat == 91.0) | (lon == 181.0)).then(None).otherwise(lon).alias("lon"),
        pl.when(sog >= 102.3).then(None).otherwise(sog).alias("sog_kn"),
        pl.when((cog >= 360.0) | (cog <= -360.0)).then(None).otherwise(cog % 360.0).alias("cog_deg"),
        pl.when((heading >= 360.0) | (heading < 0)).then(None).otherwise(heading).alias("heading_deg"),
        _clean_text(m.shipname).alias("shipname"),
        _clean_text(m.callsign).alias("callsign"),
        _clean_text(m.imo).str.replace(r"^IMO", "").cast(pl.Int64, strict=False).alias("imo"),
        _num("_ship_type").cast(pl.Int64, strict=False).alias("ship_type"),
        _num("_length").alias("length_m"),
        _num("_width").alias("width_m"),
        _num("_draught").alias("draught_m"),
        _num("_status").cast(pl.Int64, strict=False).alias("status"),
        _clean_text(m.transceiver_class).alias("transceiver_class"),
        _clean_text(m.traj_id).alias("traj_id"),
    )
    bad_time = frame["t"].is_null()
    mmsi_f = frame["_mmsi_f"]
    bad_mmsi = ~bad_time & (mmsi_f.is_null() | (mmsi_f <= 0) | (mmsi_f >= 1e9) | (mmsi_f != mmsi_f.floor()))
    lat_c, lon_c = frame["lat"], frame["lon"]
    orig_lat, orig_lon = frame["_lat_in"], frame["_lon_in"]
    na_position = lat_c.is_null() & ((orig_lat == 91.0) | (orig_lon == 181.0)).fill_null(False)
    bad_pos = (
        ~bad_time
        & ~bad_mmsi
        & ~na_position
        & (lat_c.is_null() | lon_c.is_null() | (lat_c.abs() > 90) | (lon_c.abs() > 180)).fill_null(True)
    )
    rejects: list[Rejected] = []
    text = raw if typed is None else None  # rejects quote the text of their line
    for reason, mask in (
        ("csv_bad_time", bad_time),
        ("csv_bad_mmsi", bad_mmsi),
        ("csv_bad_position", bad_pos),
    ):
        idx = mask.fill_null(True).arg_true().to_list()
        if idx:
            text = read_csv_frame(csv_input) if text is None else text
            rows = text[idx].rows()
            rejects.extend(
                Rejected(",".join("" if v is None else str(v) for v in row), reason, src, i + 2)
                for i, row in zip(idx, rows, strict=True)
            )
    keep = ~(bad_time.fill_null(True) | bad_mmsi.fill_null(True) | bad_pos.fill_null(True))
    good = (frame.filter(keep) if rejects else frame).with_columns(  # no copy when all rows are good
        pl.col("_mmsi_f").cast(pl.Int64).alias("mmsi"),
        pl.lit(SensorKind.AIS.value).alias("sensor"),
        pl.lit(src).alias("source"),
    )
    n_na = int(na_position.sum())
    extra_cols = [c for c in ("status", "transceiver_class", "traj_id") if good[c].null_count() < good.height]
    located = good.filter(pl.col("lat").is_not_null()) if n_na else good  # a kept row lacks lat only if N/A
    positions = conform_positions(
        located.select(
            "t", "mmsi", "lat", "lon", "sog_kn", "cog_deg", "heading_deg", "sensor", "source", *extra_cols
        )
    )
    static_cols = (m.shipname, m.callsign, m.imo, m.ship_type, m.length_m, m.width_m)
    has_statics = any(c is not None for c in static_cols)  # tracktable files have none
    statics = _statics(good, src) if has_statics else pl.DataFrame(schema=STATIC_SCHEMA)
    if cut is not None:
        rejects.append(cut)
    counts: dict[str, int] = {"decoded": good.height, "rejected": len(rejects), "rows": raw.height}
    for r in rejects:
        reason = r.reason.split(":", 1)[0]
        counts[f"rejected:{reason}"] = counts.get(f"rejected:{reason}", 0) + 1
    if n_na:
        counts["skipped:no_position"] = n_na
    log.info("%s: %d rows, %d positions, %d rejected", path, raw.height, positions.height, len(rejects))
    return LoadResult(positions=positions, statics=statics, rejects=rejects, counts=counts)


def _statics(good: pl.DataFrame, src: str) -> pl.DataFrame:
    static_cols = ["shipname", "callsign", "imo", "ship_type", "length_m", "width_m"]
    has_static = pl.any_horizontal([pl.col(c).is_not_null() for c in static_cols])
    frame = (
        good.filter(has_static)
        .sort("t")
        .unique(subset=["mmsi", *static_cols], keep="first", maintain_order=True)
        .with_columns(pl.lit(src).alias("source"))
    )
    return frame.select([pl.col(name).cast(dtype) for name, dtype in STATIC_SCHEMA.items()])


def iterate_csv(path: Path) -> Iterator[Observation | AisStatic | Rejected]:
    """Stream a CSV as observations (it is loaded whole first: archives are columnar by nature)."""
    result = load_csv(path)
    yield from result.rejects
    pos = result.positions
    for row in pos.iter_rows(named=True):
        yield Observation(
            time=utc_from_epoch(row["t"]),
            lat=row["lat"],
            lon=row["lon"],
            sensor=SensorKind.AIS,
            source=row["source"],
            mmsi=row["mmsi"],
            sog_kn=row["sog_kn"],
            cog_deg=row["cog_deg"],
            heading_deg=row["heading_deg"],
        )
    for row in result.statics.iter_rows(named=True):
        yield AisStatic(
            mmsi=row["mmsi"],
            msg_type=5,
            shipname=row["shipname"],
            callsign=row["callsign"],
            imo=row["imo"],
            ship_type=row["ship_type"],
            received_at=None if row["t"] is None else utc_from_epoch(row["t"]),
            source=row["source"],
        )


register_format(
    FormatSpec(
        name="ais_csv",
        sniff=sniff_csv,
        load=lambda path, sites=None: load_csv(path),
        iterate=lambda path, sites=None: iterate_csv(path),
        priority=10,
        description="AIS CSV: MarineCadastre/NOAA columns or the generic mapping (time, MMSI, lat, lon...)",
    )
)
