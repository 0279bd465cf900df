"""AIS NMEA files (plain or gzip) decoded whole: one compiled pass over the text (`ais_scan`), field
values by numpy with pyais's decoder plans (`ais_fast`), `NmeaAisDecoder` (pyais) for the messages no
plan covers. `decode_bytes(..., fast=False)` lets `NmeaAisDecoder` do it all, line by line (the
reference the fast path is tested against).

`decode_bytes(data)` gives a `BulkDecodeResult`: the numpy-decoded columns, the other decoded messages,
rejects and counts; from it come the polars frames (`positions_frame`, `statics_frame`) and the
records in input order (`iter_records`) for `seawatch decode`. Rejects are made into `Rejected`
objects only when `rejects` is first read (`n_rejected` and `counts` need none).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from seawatch.model.columns import POSITION_SCHEMA, STATIC_SCHEMA
from seawatch.model.observation import AisPosition, AisStatic, Observation, Rejected, SensorKind
from seawatch.sources import ais_fast, ais_scan
from seawatch.sources.ais_columns import epoch, fast_position_columns, model_position_columns
from seawatch.sources.ais_convert import (
    STATIC_TYPES,
    DecodedAis,
    course_deg,
    heading_deg,
    speed_kn,
    to_models,
)
from seawatch.sources.formats import FormatSpec, LoadResult, read_input, register_format
from seawatch.sources.nmea import NmeaAisDecoder
from seawatch.sources.sniffers import sniff_nmea  # recognising a file must not import this module
from seawatch.timeutil import utc_from_epoch

log = logging.getLogger(__name__)


@dataclass
class BulkDecodeResult:
    """Decoded file: `fast` (vectorised batch), `slow` (messages pyais decoded), rejects and counts."""

    source: str
    fast: ais_fast.FastBatch = field(default_factory=ais_fast.empty_batch)
    slow: list[DecodedAis] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    # rejects are kept as the fast path's arrays (over `data`, the decoded text) plus the pyais path's
    # `Rejected`, and made into one list of `Rejected` in line order when first asked for
    fast_rejects: ais_fast.FastRejects | None = field(default=None, repr=False)
    slow_rejects: list[Rejected] = field(default_factory=list, repr=False)
    data: bytes = field(default=b"", repr=False)
    _rejects: list[Rejected] | None = field(default=None, repr=False)

    @property
    def n_rejected(self) -> int:
        if self._rejects is not None:
            return len(self._rejects)
        return len(self.slow_rejects) + (0 if self.fast_rejects is None else len(self.fast_rejects))

    @property
    def rejects(self) -> list[Rejected]:
        """Every reject in line order (fast-path rejects first on a line)."""
        if self._rejects is None:
            source = self.source
            fast = [] if self.fast_rejects is None else self.fast_rejects.tuples(self.data)
            merged = [Rejected(raw, reason, source, line) for line, reason, raw in fast]
            merged += self.slow_rejects
            merged.sort(key=_line_key)
            self._rejects = merged
            self.fast_rejects, self.slow_rejects, self.data = None, [], b""
        return self._rejects

    def add_reject(self, reject: Rejected) -> None:
        """A reject found outside the decoder (a damaged file), counted like the others."""
        if self._rejects is None:
            self.slow_rejects.append(reject)
        else:
            self._rejects = sorted([*self._rejects, reject], key=_line_key)
        self.counts["rejected"] += 1
        self.counts[f"rejected:{reject.reason.split(':', 1)[0]}"] += 1

    @property
    def n_fast(self) -> int:
        return len(self.fast)

    @property
    def n_decoded(self) -> int:
        return self.n_fast + len(self.slow)

    def _position_columns(self) -> dict[str, np.ndarray]:
        return fast_position_columns(self.fast)

    def _slow_position_columns(self, stations: dict[str | None, int]) -> dict[str, np.ndarray] | None:
        """The pyais path's position rows as the same columns; new station names go to `stations`."""
        return model_position_columns(
            [(line, m) for line, m in self._slow_models() if isinstance(m, AisPosition)], stations
        )

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
        cols = self._position_columns()
        stations: dict[str | None, int] = {name: k for k, name in enumerate(self.fast.stations)}
        slow = self._slow_position_columns(stations)
        if slow is not None:  # merge by line number (a line is decoded by one path only)
            at = np.searchsorted(cols["line"], slow["line"])
            cols = {name: np.insert(col, at, slow[name]) for name, col in cols.items()}
        names = pl.Series([*stations, None], dtype=pl.Utf8)
        codes = cols["station_code"]
        mmsi = pl.Series("mmsi", cols["mmsi"], dtype=pl.Int64)
        if cols["mmsi_null"].any():
            mmsi = mmsi.set(pl.Series(cols["mmsi_null"]), None)
        frame = pl.DataFrame(
            [
                pl.Series("t", cols["t"], nan_to_null=True),
                mmsi,
                *(
                    pl.Series(n, cols[n], nan_to_null=True)
                    for n in ("lat", "lon", "sog_kn", "cog_deg", "heading_deg")
                ),
                pl.Series("msg_type", cols["msg_type"]),
                names.gather(np.where(codes < 0, len(stations), codes)).alias("station"),
            ]
        )
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
                        "t": epoch(model.received_at),
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


def _line_key(r: Rejected) -> int:
    return r.line_no or 0


def _width(model: AisStatic) -> float | None:
    if model.to_port is None and model.to_starboard is None:
        return None
    return float((model.to_port or 0) + (model.to_starboard or 0)) or None


def _slow_record(dec: DecodedAis) -> dict[str, Any]:
    rec = dict(dec.fields)
    rec["received_at"] = epoch(dec.received_at)
    rec["station"] = dec.station
    rec["source"] = dec.source
    return rec


def decode_bytes(
    data: bytes, source: str = "", enforce_checksum: bool = True, fast: bool = True
) -> BulkDecodeResult:
    """Decode a whole NMEA text. Lines are numbered from 1. `fast=False` decodes line by line with
    `NmeaAisDecoder` only: the reference the fast path is tested against."""
    decoder = NmeaAisDecoder(source=source, enforce_checksum=enforce_checksum)
    if fast and data:
        return _decode_scanned(data, source, decoder)
    result = BulkDecodeResult(source=source)
    lines = data.split(b"\n")
    if lines and not lines[-1]:
        lines.pop()
    result.counts["lines"] = len(lines)
    _feed_lines(decoder, enumerate(lines, start=1), result)
    result.counts.update(decoder.counts)
    return result


def _feed_lines(
    decoder: NmeaAisDecoder, lines: Iterable[tuple[int, bytes]], result: BulkDecodeResult
) -> None:
    """(line number, line) pairs through the pyais path, its messages and rejects into `result`."""
    for line_no, line in lines:
        for item in decoder.feed_decoded(line, line_no=line_no):
            if isinstance(item, Rejected):
                result.slow_rejects.append(item)
            else:
                result.slow.append(item)
    result.slow_rejects.extend(decoder.flush())


def _decode_scanned(data: bytes, source: str, decoder: NmeaAisDecoder) -> BulkDecodeResult:
    """The compiled scan, field values by numpy, and pyais (through `decoder`, one whole message at a
    time from its fragments' lines) for the messages numpy does not cover."""
    scan = ais_scan.scan_text(data, decoder.enforce_checksum, decoder.max_age_lines, decoder.max_pending)
    batch, others = ais_fast.decode_scanned(scan)
    result = BulkDecodeResult(source=source, fast=batch, data=data)
    # one whole message at a time: nothing stays pending (the flush finds nothing)
    _feed_lines(decoder, (frag for m in others.tolist() for frag in scan.fragment_lines(data, m)), result)
    order = np.argsort(scan.reject_line, kind="stable")
    result.fast_rejects = ais_fast.FastRejects(
        scan.reject_line[order], scan.reject_start[order], scan.reject_end[order],
        scan.reject_code[order], scan.reasons,
    )  # fmt: skip
    counts = result.counts
    counts.update(scan.counts)
    counts["lines"] = scan.n_lines
    counts["decoded_fast"] = len(batch)
    counts["decoded"] = result.n_decoded
    if result.n_rejected:
        counts["rejected"] = result.n_rejected
    for reason, n in result.fast_rejects.reason_counts().items():
        counts[f"rejected:{reason.split(':', 1)[0]}"] += n
    for r in result.slow_rejects:
        counts[f"rejected:{r.reason.split(':', 1)[0]}"] += 1
    return result


def decode_file(path: Path, enforce_checksum: bool = True, fast: bool = True) -> BulkDecodeResult:
    """A whole file; a damaged gzip file gives its good lines and a `truncated_input` reject."""
    data, cut = read_input(path)
    result = decode_bytes(data, source=str(path), enforce_checksum=enforce_checksum, fast=fast)
    if cut is not None:
        result.add_reject(cut)
    return result


def load_nmea(path: Path) -> LoadResult:
    return decode_file(path).to_load_result()


def iterate_nmea(path: Path) -> Iterator[Observation | AisStatic | Rejected]:
    """Stream a file line by line (pyais path). Positions without a receive time are skipped (counted)."""
    decoder = NmeaAisDecoder(source=str(path), enforce_checksum=True)
    data, cut = read_input(path)
    for line_no, line in enumerate(data.split(b"\n"), start=1):
        for item in decoder.feed(line, line_no=line_no):
            if isinstance(item, AisStatic | Rejected):
                yield item
            elif item.received_at is not None:
                yield Observation.from_ais(item, item.received_at)
            else:
                decoder.counts["skipped:no_time"] += 1
    yield from decoder.flush()
    if cut is not None:
        yield cut
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
        load=lambda path, sites=None: load_nmea(path),
        iterate=lambda path, sites=None: iterate_nmea(path),
        priority=20,
        description="AIS NMEA 0183 !AIVDM/!AIVDO (tag blocks, multi-sentence), plain or gzip",
    )
)
