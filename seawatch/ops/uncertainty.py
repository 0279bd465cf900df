"""The target's uncertainty carried to the intercept: a search radius, and a conservative (95 %) ETA.

The tracker gives the target's position and velocity with a 1-sigma error (per axis, taken isotropic).
Held on its course, the target's position t hours on is Gaussian around the predicted point with
sigma(t) = sqrt(sigma_p² + (sigma_v·t)²) per axis, so it lies within K95·sigma(t) of that point with
95 % probability (K95 = sqrt(-2 ln 0.05) for a circular 2-D Gaussian): the search radius at the intercept.

The conservative ETA is the first time the asset could be anywhere in that circle: in open sea the first
t with |D + V·t| + K95·sigma(t) <= s·(t − delay) (D: target minus asset, V: target velocity, s: asset
speed, delay: a standby notice). Whatever the target's true position and velocity, if its offset from the
prediction at that t is within the circle (95 %) the asset can meet it by then, so the true ETA is below
the conservative one at least 95 % of the time (tests/ops/test_uncertainty.py checks this by sampling).
Both sides are concave in t (a line minus convex terms), so the first root is found by golden-section
search for the maximum, then bisection. Round land the same margin is added after the nominal meeting:
the first t with |V|·(t − t_meet) + K95·sigma(t) <= s·(t − t_meet) (open water near the meeting point).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
K95 = math.sqrt(-2.0 * math.log(0.05))  # 2.4477: 95 % of a circular 2-D Gaussian lies within K95 sigma
GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0


def sigma_nm(sigma_p_nm: npt.ArrayLike, sigma_v_kn: npt.ArrayLike, t_h: npt.ArrayLike) -> FloatArray:
    """1-sigma position error (per axis, nm) of the predicted position `t_h` hours on."""
    p, v, t = (np.asarray(a, dtype=np.float64) for a in (sigma_p_nm, sigma_v_kn, t_h))
    return np.asarray(np.sqrt(p * p + (v * t) ** 2), dtype=np.float64)


def first_root_concave(
    f: Callable[[FloatArray], FloatArray], lo: FloatArray, hi: FloatArray, iterations: int = 32
) -> FloatArray:
    """For concave `f` (element-wise over arrays): the first t in [lo, hi] with f(t) >= 0, NaN if none."""
    lo, hi = np.asarray(lo, dtype=np.float64).copy(), np.asarray(hi, dtype=np.float64).copy()
    ok = f(lo) >= 0.0
    a, b = lo.copy(), hi.copy()
    for _ in range(iterations):  # golden section: the maximum of f on [lo, hi]
        c = b - GOLDEN * (b - a)
        d = a + GOLDEN * (b - a)
        left = f(c) >= f(d)
        b = np.where(left, d, b)
        a = np.where(left, a, c)
    peak = (a + b) / 2.0
    reach = f(peak) >= 0.0
    x0, x1 = lo.copy(), peak.copy()
    for _ in range(iterations):  # bisection on the rising side: f(x0) < 0 <= f(x1)
        mid = (x0 + x1) / 2.0
        up = f(mid) >= 0.0
        x1 = np.where(up, mid, x1)
        x0 = np.where(up, x0, mid)
    return np.where(ok, lo, np.where(reach, x1, np.nan))


def worst_open_sea_h(
    dx: FloatArray,
    dy: FloatArray,
    vx: FloatArray,
    vy: FloatArray,
    speed_kn: FloatArray,
    sigma_p_nm: FloatArray,
    sigma_v_kn: FloatArray,
    t_nominal_h: FloatArray,
    horizon_h: FloatArray,
    delay_h: FloatArray | float = 0.0,
    age_h: FloatArray | float = 0.0,
) -> FloatArray:
    """Conservative ETA (h) in open sea, NaN when the 95 % circle cannot be covered within the horizon.
    `age_h`: how long before the target's state the tracker's fix was (its error has grown since)."""

    p2, v2 = np.square(sigma_p_nm), np.square(sigma_v_kn)

    def f(t: FloatArray) -> FloatArray:
        gap = np.hypot(dx + vx * t, dy + vy * t)
        margin = K95 * np.sqrt(p2 + v2 * np.square(t + age_h))
        return np.asarray(speed_kn * (t - delay_h) - gap - margin)

    return first_root_concave(f, np.asarray(t_nominal_h), np.maximum(horizon_h, t_nominal_h))


def worst_after_meeting_h(
    t_meet_h: FloatArray,
    speed_kn: FloatArray,
    target_kn: FloatArray,
    sigma_p_nm: FloatArray,
    sigma_v_kn: FloatArray,
    horizon_h: FloatArray,
    age_h: FloatArray | float = 0.0,
) -> FloatArray:
    """Conservative ETA (h) when the route to the nominal meeting goes round land: the margin is covered
    from the meeting point on, in open water; NaN when not within the horizon."""

    p2, v2 = np.square(sigma_p_nm), np.square(sigma_v_kn)

    def f(t: FloatArray) -> FloatArray:
        run = (speed_kn - target_kn) * (t - t_meet_h)
        return np.asarray(run - K95 * np.sqrt(p2 + v2 * np.square(t + age_h)))

    return first_root_concave(f, np.asarray(t_meet_h), np.maximum(horizon_h, t_meet_h))
