"""AIS NMEA read from a stream (TCP, UDP, a pipe), decoded a read at a time with the vectorised decoder.

`AisStreamDecoder.decode(data, received_at)` takes the complete lines of one read and returns the
node's items in one pass of `seawatch.sources.ais_bulk.decode_bytes` (the compiled scan and numpy,
pyais for what they do not cover; the same values as pyais line by line): `AisStatic` and `Rejected`
as the per-line decoder gives them, and positions directly as AIS `Observation`s (what the pipeline
would make of them). Lines without a receive time of their
own (tag block `c:` or trailer) get `received_at`. A multi-sentence message whose last fragment has
not arrived yet is kept back and decoded with the next read, so a message cut by a read boundary is
not lost.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import polars as pl

from seawatch.model import AisStatic, Observation, Rejected, SensorKind
from seawatch.sources import ais_fast
from seawatch.sources.ais_bulk import decode_bytes
from seawatch.sources.ais_convert import STATIC_TYPES, DecodedAis, to_models
from seawatch.timeutil import utc_from_epoch

StreamItem = Observation | AisStatic | Rejected
MAX_HELD_LINES = 16  # fragments kept back at most (a stream of nothing but first fragments is not held)


def _open_fragment(line: bytes) -> bool:
    """A sentence that is not the last of its message (`!AIVDM,<count>,<number>,...`, number < count)."""
    bang = line.rfind(b"!")
    if bang < 0:
        return False
    fields = line[bang:].split(b",", 3)
    if len(fields) < 4 or not fields[1].isdigit() or not fields[2].isdigit():
        return False
    return int(fields[2]) < int(fields[1])


class AisStreamDecoder:
    def __init__(self, source: str, enforce_checksum: bool = False) -> None:
        self.source = source
        self.enforce_checksum = enforce_checksum
        self._held = b""

    def decode(self, data: bytes, received_at: datetime, final: bool = False) -> list[StreamItem]:
        """Items of the complete lines in `data` (with the fragments held from the previous read);
        `final`: the stream ended, nothing is held back."""
        data = self._held + data
        self._held = b""
        if not final:
            data = self._hold_open_fragments(data)
        if not data.strip():
            return []
        result = decode_bytes(data, source=self.source, enforce_checksum=self.enforce_checksum)
        items: list[StreamItem] = list(result.rejects)
        now_s = received_at.timestamp()
        for dec in result.slow:
            if dec.received_at is None:
                dec = replace(dec, received_at=received_at)
            items.extend(m for m in to_models(dec) if isinstance(m, AisStatic))
        for _, rec in ais_fast.iter_group_dicts(result.fast, STATIC_TYPES):
            t = rec.pop("received_at")
            station = rec.pop("station")
            when = received_at if t is None else utc_from_epoch(t)
            dec = DecodedAis(rec, "", self.source, when, station)
            items.extend(m for m in to_models(dec) if isinstance(m, AisStatic))
        items.extend(self._observations(result.positions_frame(), now_s))
        return items

    def _hold_open_fragments(self, data: bytes) -> bytes:
        """Complete lines of `data` minus the trailing open fragments (at most `MAX_HELD_LINES`),
        which are held for the next read."""
        lines = data.rstrip(b"\n").split(b"\n")
        k = len(lines)
        while k > 0 and len(lines) - k < MAX_HELD_LINES and _open_fragment(lines[k - 1].strip()):
            k -= 1
        if k == len(lines):
            return data
        self._held = b"\n".join(lines[k:]) + b"\n"
        return b"\n".join(lines[:k]) + b"\n" if k else b""

    def _observations(self, frame: pl.DataFrame, now_s: float) -> list[Observation]:
        if frame.is_empty():
            return []
        cols = frame.select(
            pl.col("t").fill_null(now_s), "mmsi", "lat", "lon", "sog_kn", "cog_deg", "heading_deg", "station"
        ).to_dict(as_series=False)
        source = self.source
        ais = SensorKind.AIS
        out: list[Observation] = []
        times: dict[float, datetime] = {}
        for t, mmsi, lat, lon, sog, cog, hdg, station in zip(
            cols["t"], cols["mmsi"], cols["lat"], cols["lon"], cols["sog_kn"], cols["cog_deg"],
            cols["heading_deg"], cols["station"], strict=True,
        ):  # fmt: skip
            when = times.get(t)
            if when is None:
                when = times[t] = utc_from_epoch(t)
            out.append(
                Observation(
                    time=when,
                    lat=lat,
                    lon=lon,
                    sensor=ais,
                    source=source,
                    mmsi=mmsi,
                    sog_kn=sog,
                    cog_deg=cog,
                    heading_deg=hdg,
                    station=station,
                    received_at=when,
                )
            )
        return out
