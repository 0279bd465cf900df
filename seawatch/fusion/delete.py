"""Delete: tracks silent longer than the time-out of every sensor kind that fed them."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from seawatch.model.observation import SensorKind

Array = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

KINDS: tuple[SensorKind, ...] = tuple(SensorKind)
KIND_CODE: dict[str, int] = {k.value: i for i, k in enumerate(KINDS)}


def timeout_vector(timeout_s: dict[str, float]) -> Array:
    return np.array([float(timeout_s.get(k.value, 600.0)) for k in KINDS])


def expired(last_seen: Array, now: float, timeouts: Array, inclusive: bool = True) -> BoolArray:
    """last_seen (n, kinds): time each kind last updated the track (NaN = never). A track expires when
    every kind that fed it has been silent for that kind's time-out (`inclusive`) or longer than it."""
    silent = now - last_seen
    alive_by_kind = silent < timeouts[None, :] if inclusive else silent <= timeouts[None, :]
    return ~np.any(alive_by_kind, axis=1)
