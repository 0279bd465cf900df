"""Real tracks for detection tests: the US coastal day (tracktable) and the MarineCadastre hour."""

from __future__ import annotations

from functools import lru_cache

import polars as pl

from seawatch.detect.bulk import run_bulk
from seawatch.detect.context import DetectContext
from seawatch.detect.replay import replay_live
from seawatch.model.event import Event
from seawatch.sources.formats import LoadResult
from tests.shared import require_shared

US_DAY = ("ais-tracks-us-coastal-2020", "US_coastal_2020_06_30.csv.gz")
MC_HOUR = ("ais-positions-marinecadastre-2022-01-03", "AIS_2022_01_03_first99999.csv.gz")


@lru_cache(maxsize=2)
def _load(parts: tuple[str, str]) -> LoadResult:
    from seawatch.sources.inputs import load_inputs

    return load_inputs([require_shared(*parts)])


def us_day() -> pl.DataFrame:
    return _load(US_DAY).positions


def mc_hour() -> LoadResult:
    return _load(MC_HOUR)


def track(frame: pl.DataFrame, mmsi: int) -> pl.DataFrame:
    out = frame.filter(pl.col("mmsi") == mmsi).sort("t")
    assert out.height > 0, f"real track {mmsi} not found"
    return out


def detect_both(
    positions: pl.DataFrame,
    ctx: DetectContext,
    statics: pl.DataFrame | None = None,
    types: tuple[str, ...] = (),
) -> list[Event]:
    """Bulk events (of `types`, or all), after checking that the live form gives exactly the same."""
    bulk = run_bulk(positions, statics, ctx).events
    live, _ = replay_live(positions, statics, ctx)
    assert {e.event_id: e.to_json() for e in bulk} == {e.event_id: e.to_json() for e in live}
    return [e for e in bulk if not types or e.type in types]
