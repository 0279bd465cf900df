"""Quality gate between sources and fusion: an item no stage can use is turned into a `Rejected` with
its reason (counted and kept by the node), so it never reaches the tracker, the detectors or the store
and never fails the batch it came in."""

from __future__ import annotations

import math
import numbers
from datetime import datetime

from seawatch.model import AisStatic, Observation

MMSI_MAX = 999_999_999  # nine digits
SOG_MAX_KN = 102.3  # AIS's largest speed; a partner or a parser bug can send anything


def _integer(value: object) -> bool:
    """An integer (numpy's too), not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _finite(value: float | None) -> bool:
    return value is None or (isinstance(value, int | float) and math.isfinite(value))


def observation_problem(obs: Observation) -> str | None:
    """Why `obs` cannot be used (None: it can)."""
    if plainly_good(obs):  # the common case in one expression (NaN fails every comparison)
        return None
    return _problem(obs)


def plainly_good(obs: Observation) -> bool:
    """The common case: every field present is in range (False sends `obs` to `observation_problem`)."""
    try:
        sog, mmsi = obs.sog_kn, obs.mmsi
        return (
            -90.0 <= obs.lat <= 90.0
            and -180.0 <= obs.lon <= 180.0
            and (mmsi is None or (type(mmsi) is int and 0 <= mmsi <= MMSI_MAX))
            and (sog is None or 0.0 <= sog <= SOG_MAX_KN)
            and (obs.cog_deg is None or -1e9 < obs.cog_deg < 1e9)
            and (obs.heading_deg is None or -1e9 < obs.heading_deg < 1e9)
            and (obs.length_m is None or -1e9 < obs.length_m < 1e9)
            and obs.time.tzinfo is not None
        )
    except (TypeError, AttributeError):
        return False


def _problem(obs: Observation) -> str | None:
    if not isinstance(obs.time, datetime) or obs.time.tzinfo is None:
        return "bad_time: not a timezone-aware datetime"
    if not (isinstance(obs.lat, int | float) and isinstance(obs.lon, int | float)):
        return "bad_position: latitude/longitude not numbers"
    if not (math.isfinite(obs.lat) and math.isfinite(obs.lon)):
        return "bad_position: latitude/longitude not finite"
    if not (-90.0 <= obs.lat <= 90.0 and -180.0 <= obs.lon <= 180.0):
        return f"bad_position: ({obs.lat}, {obs.lon}) outside ±90° / ±180°"
    mmsi = obs.mmsi
    if mmsi is not None and not (_integer(mmsi) and 0 <= mmsi <= MMSI_MAX):
        return f"bad_mmsi: {obs.mmsi!r} is not a nine-digit number"
    for name in ("sog_kn", "cog_deg", "heading_deg", "length_m"):
        if not _finite(getattr(obs, name)):
            return f"bad_{name}: not a finite number"
    if obs.sog_kn is not None and not (0.0 <= obs.sog_kn <= SOG_MAX_KN):
        return f"bad_sog_kn: {obs.sog_kn} outside 0…{SOG_MAX_KN} kn"
    return None


def static_problem(static: AisStatic) -> str | None:
    """Why an AIS static report cannot be used (None: it can)."""
    if not (_integer(static.mmsi) and 0 <= static.mmsi <= MMSI_MAX):
        return f"bad_mmsi: {static.mmsi!r} is not a nine-digit number"
    return None
