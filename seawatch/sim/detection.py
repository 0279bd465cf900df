"""Range-dependent detection, the same shape for radar sites and AIS receivers.

A radar's probability of detection falls with range (the echo weakens with range⁴ and the sea and the
horizon hide small boats), and a shore AIS receiver loses more slots far out (weaker signal, more
colliding SOTDMA slots from beyond its cell). Both are modelled as: the near value up to
`full_range_fraction` of the range, then a linear change to the edge value at the range (beyond: nothing).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def at_range(
    distance_m: FloatArray, range_m: float, near: float, edge: float, full_fraction: float
) -> FloatArray:
    """`near` within `full_fraction` × `range_m`, then linearly to `edge` at `range_m`."""
    start = full_fraction * range_m
    frac = np.clip((np.asarray(distance_m, dtype=np.float64) - start) / max(range_m - start, 1e-9), 0.0, 1.0)
    return near + (edge - near) * frac
