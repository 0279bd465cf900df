"""The target's uncertainty in the plan, against independent computations: the search radius and the
conservative ETA by brute force over the circle's rim, and the ETA's coverage by sampling targets from the
tracker's error (each sample's own closed-form intercept, solved here)."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pytest

from seawatch.ops.intercept import InterceptPlanner
from seawatch.ops.pursuit import Pursuer, TargetState
from seawatch.ops.ranking import target_of
from seawatch.store.base import TrackState

NOW = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
M_PER_NM = 1852.0
ASSET = (14.5, -71.5)  # the middle of the Caribbean Sea: no land within 100 nm
TARGET = (14.9, -70.9)


@pytest.fixture(scope="module")
def planner() -> InterceptPlanner:
    return InterceptPlanner()


def _flat(lat: float, lon: float) -> tuple[float, float]:
    """nm east, north of the asset (the equirectangular plane the test computes in)."""
    kx = 60.0 * math.cos(math.radians((lat + ASSET[0]) / 2))
    return (lon - ASSET[1]) * kx, (lat - ASSET[0]) * 60.0


def _intercept_h(dx: np.ndarray, dy: np.ndarray, vx: np.ndarray, vy: np.ndarray, s: float) -> np.ndarray:
    """The smallest t >= 0 with |d + v t| = s t, element-wise (the asset is faster: one positive root)."""
    a = vx * vx + vy * vy - s * s
    b = 2 * (dx * vx + dy * vy)
    c = dx * dx + dy * dy
    return np.asarray((-b - np.sqrt(b * b - 4 * a * c)) / (2 * a))


def _brute_worst_h(d: tuple[float, float], v: tuple[float, float], s: float, sp: float, sv: float) -> float:
    """First time (1 s steps) at which every point of the 95 % circle round the predicted position is
    within the asset's reach: 720 points on the rim tested."""
    k95 = math.sqrt(-2 * math.log(0.05))
    angles = np.linspace(0, 2 * math.pi, 720, endpoint=False)
    for step in range(1, 20 * 3600):
        t = step / 3600.0
        r = k95 * math.hypot(sp, sv * t)
        x = d[0] + v[0] * t + r * np.cos(angles)
        y = d[1] + v[1] * t + r * np.sin(angles)
        if np.max(np.hypot(x, y)) <= s * t:
            return t
    raise AssertionError("never covered")


@pytest.mark.parametrize(
    ("cog_deg", "sog_kn", "speed_kn", "sigma_m", "sigma_mps"),
    [(90.0, 25.0, 40.0, 300.0, 1.0), (250.0, 12.0, 30.0, 1500.0, 0.5), (0.0, 30.0, 45.0, 50.0, 1.2)],
)
def test_search_radius_and_conservative_eta(
    planner: InterceptPlanner,
    cog_deg: float,
    sog_kn: float,
    speed_kn: float,
    sigma_m: float,
    sigma_mps: float,
) -> None:
    sigma_kn = sigma_mps * 3600 / M_PER_NM
    target = TargetState(*TARGET, cog_deg, sog_kn, NOW, sigma_m=sigma_m, sigma_kn=sigma_kn)
    plan = planner.plan(target, Pursuer("p1", *ASSET, speed_kn))
    assert plan.reachable and plan.eta_s is not None and plan.eta_worst_s is not None
    t_h = plan.eta_s / 3600.0
    one_sigma = math.hypot(sigma_m / M_PER_NM, sigma_kn * t_h)
    assert plan.uncertainty_nm == pytest.approx(one_sigma, rel=1e-6)
    assert plan.search_radius_nm == pytest.approx(2.4477 * one_sigma, rel=1e-4)
    # the conservative ETA is exactly "the asset could be anywhere in the search circle by then"
    rad = math.radians(cog_deg)
    v = (sog_kn * math.sin(rad), sog_kn * math.cos(rad))
    want_h = _brute_worst_h(_flat(*TARGET), v, speed_kn, sigma_m / M_PER_NM, sigma_kn)
    assert plan.eta_worst_s / 3600.0 == pytest.approx(want_h, abs=2 / 3600.0, rel=0.005)
    assert plan.eta_worst_s > plan.eta_s

    # sampled targets (position and velocity from the tracker's error): each one's own intercept comes
    # no later than the conservative ETA at least 95 % of the time
    rng = np.random.default_rng(3)
    n = 20_000
    dx0, dy0 = _flat(*TARGET)
    dx = dx0 + rng.normal(0, sigma_m / M_PER_NM, n)
    dy = dy0 + rng.normal(0, sigma_m / M_PER_NM, n)
    vx = v[0] + rng.normal(0, sigma_kn, n)
    vy = v[1] + rng.normal(0, sigma_kn, n)
    sampled_h = _intercept_h(dx, dy, vx, vy, speed_kn)
    covered = float(np.mean(sampled_h <= plan.eta_worst_s / 3600.0))
    assert covered >= 0.95
    # and it is not a blanket margin: the sampled median is close to the nominal ETA
    assert float(np.median(sampled_h)) == pytest.approx(t_h, rel=0.02)


def test_no_uncertainty_no_margin(planner: InterceptPlanner) -> None:
    target = TargetState(*TARGET, 90.0, 25.0, NOW)
    plan = planner.plan(target, Pursuer("p1", *ASSET, 40.0))
    assert plan.uncertainty_nm == 0.0 and plan.search_radius_nm == 0.0
    assert plan.eta_worst_s == plan.eta_s


def test_vague_target_cannot_be_covered_within_reach(planner: InterceptPlanner) -> None:
    """Nominally reachable, but the search circle grows faster than the asset can sweep it: no
    conservative ETA, and ranked after an asset that can be sure."""
    # heading east at 10 kn, its velocity known to 8 kn (1 sigma): the 95 % circle grows at ~20 kn
    target = TargetState(*TARGET, 90.0, 10.0, NOW, sigma_m=200.0, sigma_kn=8.0)
    behind = Pursuer("behind", TARGET[0], TARGET[1] - 2 * 0.01725, 22.0)  # 2 nm astern, 22 kn
    ahead = Pursuer("ahead", TARGET[0], TARGET[1] + 15 * 0.01725, 40.0)  # 15 nm ahead, 40 kn
    plans = planner.plan_all(target, [behind, ahead])
    by_id = {p.asset: p for p in plans}
    assert by_id["behind"].eta_s is not None and by_id["ahead"].eta_s is not None
    assert by_id["behind"].reachable and by_id["behind"].eta_worst_s is None
    assert by_id["behind"].eta_s < by_id["ahead"].eta_s  # nominally first ...
    assert by_id["ahead"].eta_worst_s is not None
    assert [p.asset for p in plans] == ["ahead", "behind"]  # ... but only "ahead" can be sure


def test_standby_notice_grows_the_uncertainty(planner: InterceptPlanner) -> None:
    target = TargetState(*TARGET, 90.0, 20.0, NOW, sigma_m=300.0, sigma_kn=2.0)
    now = planner.plan_after(target, Pursuer("p1", *ASSET, 40.0), 0.0)
    later = planner.plan_after(target, Pursuer("p1", *ASSET, 40.0), 0.5)
    assert later.notice_s == 1800.0
    assert later.eta_s is not None and now.eta_s is not None and later.eta_s > now.eta_s + 1800.0
    # the error at the meeting is the tracker's error carried over the whole time, notice included
    t_h = later.eta_s / 3600.0
    assert later.uncertainty_nm == pytest.approx(math.hypot(300.0 / M_PER_NM, 2.0 * t_h), rel=1e-3)


def test_live_track_carries_the_trackers_error() -> None:
    state = TrackState(
        "radar:T1", NOW, 14.9, -70.9, sog_kn=20.0, cog_deg=90.0, pos_sigma_m=120.0, vel_sigma_mps=1.5
    )
    target = target_of(state)
    assert target.sigma_m == 120.0
    assert target.sigma_kn == pytest.approx(1.5 * 3600 / M_PER_NM)
    # a track without the figures, or with broken ones, plans without a margin (never crashes)
    assert target_of(TrackState("radar:T2", NOW, 14.9, -70.9)).sigma_m == 0.0
    broken = TrackState("radar:T3", NOW, 14.9, -70.9, pos_sigma_m=math.nan, vel_sigma_mps=-1.0)
    assert (target_of(broken).sigma_m, target_of(broken).sigma_kn) == (0.0, 0.0)
