"""Which vessels the go-fast profile leaves alone: declared high-speed craft, SAR, law enforcement,
military (AIS ship type), and MMSI forms such as SAR aircraft (111MIDxxx)."""

from __future__ import annotations

import polars as pl

from seawatch.detect.config import SpeedConfig


def ship_types(statics: pl.DataFrame | None) -> dict[int, int]:
    """MMSI -> the latest reported AIS ship type (bulk: over the whole input)."""
    if statics is None or statics.height == 0 or "ship_type" not in statics.columns:
        return {}
    known = statics.filter(pl.col("ship_type").is_not_null() & pl.col("mmsi").is_not_null())
    if "t" in known.columns:
        known = known.sort("t", nulls_last=False, maintain_order=True)
    last = known.group_by("mmsi", maintain_order=True).agg(pl.col("ship_type").last())
    return {int(m): int(s) for m, s in last.iter_rows()}


def is_exempt(mmsi: int, ship_type: int | None, cfg: SpeedConfig) -> bool:
    if ship_type is not None and ship_type in cfg.exempt_ship_types:
        return True
    return mmsi >= 0 and str(mmsi).startswith(tuple(cfg.exempt_mmsi_prefixes))
