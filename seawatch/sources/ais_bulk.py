"""AIS NMEA files (plain or gzip) decoded whole: the vectorised fast path for position reports
(types 1, 2, 3, 18 in single sentences, `ais_fast`) and `NmeaAisDecoder` (pyais) for the rest.

`decode_bytes(data)` gives a `BulkDecodeResult`: fast-path columns, the other decoded messages,
rejects and counts; from it come the polars frames (`positions_frame`, `statics_frame`) and the
records in input order (`iter_records`) for `seawatch decode`.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from seawatch.model.columns import POSITION_SCHEMA, STATIC_SCHEMA
from seawatch.model.observation import AisPosition, AisStatic, Observation, Rejected, SensorKind
from seawatch.sources import ais_fast
from seawatch.sources.formats import FormatSpec, LoadResult, open_binary, register_format
from seawatch.sources.nmea import (
    LAT_NA,
    LON_NA,
    POSITION_TYPES,
    STATIC_TYPES,
    DecodedAis,
    NmeaAisDecoder,
    course_deg,
    heading_deg,
    speed_kn,
    to_models,
)
from seawatch.timeutil import utc_from_epoch

log = logging.getLogger(__name__)


@dataclass
class BulkDecodeResult:
    """Decoded file: `fast` (vectorised batch), `slow` (messages pyais decoded), rejects and counts."""

    source: str
    fast: ais_fast.FastBatch = field(default_factory=ais_fast.empty_batch)
    slow: list[DecodedAis] = field(default_factory=list)
    rejects: list[Rejected] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def n_fast(self) -> int:
        return len(self.fast)

    @property
    def n_decoded(self) -> int:
        return self.n_fast + len(self.slow)

    def _fast_positions(self) -> pl.DataFrame | None:
        """Position rows of the fast batch, built group by group (small arrays: allocating big fresh
        numpy arrays is what costs most on this kind of machine)."""
        b = self.fast
        parts: list[pl.DataFrame] = []
        for g in b.groups:
            if g.msg_type not in POSITION_TYPES:
                continue
            lat, lon = g.columns.get("lat"), g.columns.get("lon")
            if not isinstance(lat, np.ndarray) or not isinstance(lon, np.ndarray):
                continue
            ok = np.flatnonzero((lat != LAT_NA) & (lon != LON_NA))
            if not len(ok):
                continue
            rows = g.rows[ok]
            speed_na = {27: 63.0, 9: 1023.0}.get(g.msg_type, 102.3)
            course_na = 511.0 if g.msg_type == 27 else 360.0
            parts.append(
                pl.DataFrame(
                    {
                        "line": b.line[rows],
                        "t": b.t[rows],
                        "mmsi": _float_or_null(g.columns.get("mmsi"), ok, None).cast(pl.Int64),
                        "lat": lat[ok],
                        "lon": lon[ok],
                        "sog_kn": _float_or_null(g.columns.get("speed"), ok, speed_na),
                        "cog_deg": _float_or_null(g.columns.get("course"), ok, course_na),
                        "heading_deg": _float_or_null(g.columns.get("heading"), ok, 360.0),
                        "msg_type": np.full(len(ok), g.msg_type, dtype=np.int64),
                        "station_code": b.station_code[rows],
                    }
                )
            )
        if not parts:
            return None
        frame = pl.concat(parts, rechunk=False).sort("line").with_columns(pl.col("t").fill_nan(None))
        names = pl.Series([*b.stations, None], dtype=pl.Utf8)
        codes = frame["station_code"].cast(pl.Int64)
        station = names.gather(codes.set(codes < 0, len(b.stations)))
        return frame.drop("station_code").with_columns(station.alias("station"))

    def _slow_models(self) -> Iterator[tuple[int, AisPosition | AisStatic]]:
        for dec in self.slow:
            for model in to_models(dec):
                yield dec.line_no or 0, model

    def _models(self) -> Iterator[tuple[int, AisPosition | AisStatic]]:
        """Model objects of the slow messages and of the fast static messages (fast positions are
        built as columns)."""
        yield from self._slow_models()
        for row, rec in ais_fast.iter_group_dicts(self.fast, STATIC_TYPES):
            t = rec.pop("received_at")
            station = rec.pop("station")
            line = int(self.fast.line[row])
            dec = DecodedAis(rec, "", self.source, None if t is None else utc_from_epoch(t), station, line)
            for model in to_models(dec):
                if isinstance(model, AisStatic):
                    yield line, model

    def positions_frame(self) -> pl.DataFrame:
        """Position reports in `POSITION_SCHEMA` (+ `msg_type`, `station`), sentinels as nulls,
        in input order."""
        schema = {
            "line": pl.Int64,
            "t": pl.Float64,
            "mmsi": pl.Int64,
            "lat": pl.Float64,
            "lon": pl.Float64,
            "sog_kn": pl.Float64,
            "cog_deg": pl.Float64,
            "heading_deg": pl.Float64,
            "msg_type": pl.Int64,
            "station": pl.Utf8,
        }
        parts: list[pl.DataFrame] = []
        fast = self._fast_positions()
        if fast is not None:
            parts.append(fast.cast(schema))  # type: ignore[arg-type]
        rows: list[dict[str, Any]] = []
        for line, model in self._slow_models():
            if isinstance(model, AisPosition):
                rows.append(
                    {
                        "line": line,
                        "t": _epoch(model.received_at),
                        "mmsi": model.mmsi,
                        "lat": model.lat,
                        "lon": model.lon,
                        "sog_kn": model.speed,
                        "cog_deg": model.course,
                        "heading_deg": None if model.heading is None else float(model.heading),
                        "msg_type": model.msg_type,
                        "station": model.station,
                    }
                )
        if rows:
            parts.append(pl.DataFrame(rows, schema=schema))
        if not parts:
            frame = pl.DataFrame(schema=schema)
        else:
            frame = pl.concat(parts, how="vertical_relaxed").sort("line") if len(parts) > 1 else parts[0]
        return frame.with_columns(
            pl.lit(SensorKind.AIS.value).alias("sensor"),
            pl.lit(self.source).alias("source"),
            pl.lit(None, dtype=pl.Utf8).alias("track_id"),
        ).select(
            [pl.col(n).cast(d) for n, d in POSITION_SCHEMA.items()] + [pl.col("msg_type"), pl.col("station")]
        )

    def statics_frame(self) -> pl.DataFrame:
        rows = []
        for _, model in sorted(self._models(), key=lambda item: item[0]):
            if isinstance(model, AisStatic):
                rows.append(
                    {
                        "t": _epoch(model.received_at),
                        "mmsi": model.mmsi,
                        "shipname": model.shipname,
                        "callsign": model.callsign,
                        "imo": model.imo,
                        "ship_type": model.ship_type,
                        "length_m": None if model.length_m is None else float(model.length_m),
                        "width_m": _width(model),
                        "source": self.source,
                    }
                )
        return pl.DataFrame(rows, schema=STATIC_SCHEMA)

    def iter_records(self) -> Iterator[dict[str, Any]]:
        """Every decoded message as a pyais field dict plus `received_at` (epoch s or None),
        `station`, `source`, in input order."""
        slow = sorted(self.slow, key=lambda d: d.line_no or 0)
        fast_lines = self.fast.line.tolist()
        fast_iter = ais_fast.iter_dicts(self.fast)
        si = 0
        for line in fast_lines:
            while si < len(slow) and (slow[si].line_no or 0) < line:
                yield _slow_record(slow[si])
                si += 1
            rec = next(fast_iter)
            rec["source"] = self.source
            yield rec
        for dec in slow[si:]:
            yield _slow_record(dec)

    def to_load_result(self) -> LoadResult:
        return LoadResult(self.positions_frame(), self.statics_frame(), self.rejects, dict(self.counts))


def _float_or_null(col: object, rows: np.ndarray, not_available: float | None) -> pl.Series:
    """Column values at `rows` as floats; values >= `not_available` (or < 0) become null."""
    if not isinstance(col, np.ndarray):
        return pl.Series(values=np.full(len(rows), np.nan)).fill_nan(None)
    values = col[rows].astype(np.float64)
    series = pl.Series(values=values)
    if not_available is None:
        return series
    return series.set((series >= not_available) | (series < 0), None)


def _width(model: AisStatic) -> float | None:
    if model.to_port is None and model.to_starboard is None:
        return None
    return float((model.to_port or 0) + (model.to_starboard or 0)) or None


def _epoch(value: datetime | None) -> float | None:
    return None if value is None else value.timestamp()


def _slow_record(dec: DecodedAis) -> dict[str, Any]:
    rec = dict(dec.fields)
    rec["received_at"] = _epoch(dec.received_at)
    rec["station"] = dec.station
    rec["source"] = dec.source
    return rec


def decode_bytes(
    data: bytes, source: str = "", enforce_checksum: bool = True, fast: bool = True
) -> BulkDecodeResult:
    """Decode a whole NMEA text. Lines are numbered from 1."""
    result = BulkDecodeResult(source=source)
    decoder = NmeaAisDecoder(source=source, enforce_checksum=enforce_checksum)
    if fast and data:
        fast_result = ais_fast.decode_lines(
            data,
            enforce_checksum=enforce_checksum,
            max_age_lines=min(decoder.max_age_lines, decoder.max_pending),
        )
        result.fast = fast_result.batch
        result.counts.update(fast_result.counts)
        result.counts["decoded_fast"] = len(result.fast)
        result.counts["lines"] = fast_result.n_lines
        for line_no, reason, raw in fast_result.rejects:
            result.rejects.append(Rejected(raw, reason, source, line_no))
            result.counts["rejected"] += 1
            result.counts[f"rejected:{reason.split(':', 1)[0]}"] += 1
        todo = (
            (n, data[a:b]) for n, (a, b) in zip(fast_result.slow_lines, fast_result.slow_spans, strict=True)
        )
    else:
        lines = data.split(b"\n")
        if lines and not lines[-1]:
            lines.pop()
        result.counts["lines"] = len(lines)
        todo = ((n, line) for n, line in enumerate(lines, start=1))
    for line_no, line in todo:
        for item in decoder.feed_decoded(line, line_no=line_no):
            if isinstance(item, Rejected):
                result.rejects.append(item)
            else:
                result.slow.append(item)
    result.rejects.extend(decoder.flush())
    result.rejects.sort(key=lambda r: r.line_no or 0)
    result.counts.update(decoder.counts)
    result.counts["decoded"] += result.n_fast
    return result


def decode_file(path: Path, enforce_checksum: bool = True, fast: bool = True) -> BulkDecodeResult:
    return decode_bytes(open_binary(path), source=str(path), enforce_checksum=enforce_checksum, fast=fast)


def load_nmea(path: Path) -> LoadResult:
    return decode_file(path).to_load_result()


def sniff_nmea(path: Path, head: bytes) -> bool:
    for line in head.split(b"\n")[:50]:
        line = line.strip()
        if line.startswith(b"\\"):
            end = line.find(b"\\", 1)
            line = line[end + 1 :] if end > 0 else b""
        if line[:1] in (b"!", b"$") and line[3:6].upper() in (b"VDM", b"VDO"):
            return True
    return False


def iterate_nmea(path: Path) -> Iterator[Observation | AisStatic | Rejected]:
    """Stream a file line by line (pyais path). Positions without a receive time are skipped (counted)."""
    decoder = NmeaAisDecoder(source=str(path), enforce_checksum=True)
    data = open_binary(path)
    for line_no, line in enumerate(data.split(b"\n"), start=1):
        for item in decoder.feed(line, line_no=line_no):
            if isinstance(item, AisStatic | Rejected):
                yield item
            elif item.received_at is not None:
                yield Observation.from_ais(item, item.received_at)
            else:
                decoder.counts["skipped:no_time"] += 1
    yield from decoder.flush()
    if decoder.counts["skipped:no_time"]:
        log.info("%s: %d positions without a receive time skipped", path, decoder.counts["skipped:no_time"])


__all__ = [
    "BulkDecodeResult",
    "course_deg",
    "decode_bytes",
    "decode_file",
    "heading_deg",
    "iterate_nmea",
    "load_nmea",
    "speed_kn",
    "utc_from_epoch",
]

register_format(
    FormatSpec(
        name="ais_nmea",
        sniff=sniff_nmea,
        load=load_nmea,
        iterate=iterate_nmea,
        priority=20,
        description="AIS NMEA 0183 !AIVDM/!AIVDO (tag blocks, multi-sentence), plain or gzip",
    )
)
