"""The fleet's best intercept of many targets at once, cheap enough for every track update.

Ranking alerts needs each target's best asset and ETA, on every update of hundreds of targets. The full
plan (`InterceptPlanner.plan`: the route pulled taut round the real coastline) is what an operator gets
when asking or tasking; the ranking needs only the time, so it is answered with array arithmetic and
lookups in each asset's travel-distance field (built once per asset position and kept by the planner: it
does not depend on the target):

1. the closed-form meeting time of every (target, asset) pair: exact in open water, and a lower bound over
   water (no route beats the straight line);
2. boats: the asset's field at that meeting point. Where the water distance there is the straight one
   (within the field's error), the closed form stands. Else sphere tracing along the target's track:
   g(t) = D(P + V·t) − s·(t − delay) (D: the field, 1-Lipschitz), stepping t += g / (s + |V|), which
   never passes the first meeting, until g is within half a cell. Points outside a field cut at
   `MAX_FIELD_RADIUS_NM` are planned on the straight line, as `plan` does;
3. per target the best pair by the conservative ETA (`uncertainty.py`: the asset can cover the target's
   95 % search circle), then the nominal one; for it the target's own track is tested against the land
   polygons (one STR-tree batch; a track that runs ashore gets the full plan), fuel out and back from the
   base's field, and the territorial sea from one vectorised membership test.

A target left unreached that Natural Earth puts on land but the fine OSM land on water (a harbour the
coarse coast closes) gets the full plan (`ops/harbour.py`); only unreached targets are tested, so a
clear update pays nothing for it. Aircraft fly straight (closed form). An asset on standby starts
after its notice (`delays_h`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import shapely

from seawatch.ops.batch import PairGeometry, pair_geometry
from seawatch.ops.harbour import harbour_best
from seawatch.ops.intercept import MAX_FIELD_RADIUS_NM, InterceptPlanner
from seawatch.ops.plane import M_PER_NM, NM_PER_DEG_LAT, LocalPlane
from seawatch.ops.pursuit import InterceptPlan, Pursuer, TargetState, reach_h
from seawatch.ops.seagrid import SeaField
from seawatch.ops.uncertainty import K95, sigma_nm, worst_after_meeting_h, worst_open_sea_h

MAX_STEPS = 60  # sphere-tracing steps; a chase not settled by then (a target nearly as fast, running away)
# counts as out of that asset's reach for the ranking
STRAIGHT_TOLERANCE = 0.02  # the field reads up to ~2 % long in open water near its source


def fleet_best(
    planner: InterceptPlanner,
    targets: Sequence[TargetState],
    pursuers: Sequence[Pursuer],
    delays_h: Sequence[float] | None = None,
) -> list[InterceptPlan | None]:
    """Each target's best plan (by the conservative ETA, then the nominal one), or None when no asset
    can reach it. Routes are the straight run (`direct`, `air`) or left empty (`sea_grid`: ask `plan`)."""
    n, m = len(targets), len(pursuers)
    if n == 0:
        return []
    if m == 0:
        return [None] * n
    delay = np.asarray(delays_h if delays_h is not None else [0.0] * m, dtype=np.float64)
    geo = pair_geometry(targets, pursuers, delay)
    horizon = np.array([reach_h(p) for p in pursuers])
    tau = np.where(np.isfinite(geo.t) & (geo.t <= horizon), geo.t, np.nan)  # the asset's running time
    method = np.full((n, m), "air", dtype=object)
    unclear: dict[int, np.ndarray] = {}
    for j, p in enumerate(pursuers):
        if p.over_water:
            method[:, j] = "direct"
            unclear[j] = _unclear(planner, p, geo, tau, j)
    # branch and bound: a pair with land in the way is traced only if its closed-form time (a lower
    # bound) is earlier than the best conservative ETA among the pairs in clear water
    lower = tau + delay
    clear = lower.copy()
    for j, rows in unclear.items():
        clear[rows, j] = np.nan
    clear_worst = _worst(targets, pursuers, delay, geo, clear, method, horizon)
    bar = np.min(np.where(np.isfinite(clear_worst), clear_worst, np.inf), axis=1)
    for j, rows in unclear.items():
        could = lower[rows, j] < bar[rows]
        tau[rows[~could], j] = np.nan  # cannot be the best
        _trace(planner, pursuers[j], float(delay[j]), geo, tau, method, j, rows[could])
    for attempt in range(4):
        eta_h = tau + delay
        worst_h = _worst(targets, pursuers, delay, geo, eta_h, method, horizon)
        key_worst = np.where(np.isfinite(worst_h), worst_h, np.inf)
        key_eta = np.where(np.isfinite(eta_h), eta_h, np.inf)
        best = np.lexsort((key_eta, key_worst), axis=1)[:, 0]
        found = np.flatnonzero(np.isfinite(key_eta[np.arange(n), best]))
        cols = best[found]
        m_lat, m_lon = _meeting(geo, found, eta_h[found, cols])
        if (
            attempt == 3
            or found.size == 0
            or not _checked_on_land(planner, pursuers, delay, geo, tau, method, found, cols, m_lat, m_lon)
        ):
            break
    out: list[InterceptPlan | None] = [None] * n
    if found.size == 0:
        return harbour_best(planner, targets, pursuers, delay, out)
    members = planner.sea_zones.membership(m_lon, m_lat)
    back = _return_nm(planner, pursuers, cols, m_lat, m_lon)
    for k, i in enumerate(found.tolist()):
        j = int(cols[k])
        hits = np.flatnonzero(members[k])
        out[i] = _plan(
            targets[i],
            pursuers[j],
            float(delay[j]),
            (float(eta_h[i, j]), float(worst_h[i, j])),
            (float(m_lat[k]), float(m_lon[k])),
            str(method[i, j]),
            planner.sea_zones.zones[int(hits[0])].name if hits.size else None,
            back[k],
        )
    return harbour_best(planner, targets, pursuers, delay, out)


def _meeting(geo: PairGeometry, rows: np.ndarray, eta_h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where the targets `rows` are `eta_h` on (round land, later than the closed-form meeting)."""
    t_lat, t_lon = geo.t_lat[rows, 0], geo.t_lon[rows, 0]
    lat = t_lat + geo.vy[rows, 0] * eta_h / NM_PER_DEG_LAT
    lon = t_lon + geo.vx[rows, 0] * eta_h / (NM_PER_DEG_LAT * np.cos(np.radians((t_lat + lat) / 2)))
    return lat, lon


def _checked_on_land(
    planner: InterceptPlanner,
    pursuers: Sequence[Pursuer],
    delay: np.ndarray,
    geo: PairGeometry,
    tau: np.ndarray,
    method: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
    m_lat: np.ndarray,
    m_lon: np.ndarray,
) -> bool:
    """The winners against the land polygons, in one STR-tree batch: a boat's straight run that touches
    land is traced on its field instead; a target whose own track runs ashore first cannot be met after
    its landfall. True when something changed (pick again)."""
    boats = np.array([p.over_water for p in pursuers])
    d_idx = np.flatnonzero((method[rows, cols] == "direct") & boats[cols])
    direct, d_cols = rows[d_idx], cols[d_idx]
    starts = np.c_[geo.a_lon[d_cols], geo.a_lat[d_cols]]
    runs = np.asarray(
        shapely.linestrings(np.stack([starts, np.c_[m_lon[d_idx], m_lat[d_idx]]], axis=1).reshape(-1, 2, 2)),
        dtype=object,
    )
    starts = np.c_[geo.t_lon[rows, 0], geo.t_lat[rows, 0]]
    tracks = np.asarray(
        shapely.linestrings(np.stack([starts, np.c_[m_lon, m_lat]], axis=1).reshape(-1, 2, 2)), dtype=object
    )
    crossed = planner.land.any_crossed(np.concatenate([runs, tracks]))
    blocked, ashore = crossed[: len(direct)], crossed[len(direct) :]
    for j in np.unique(d_cols[blocked]).tolist():
        _trace(planner, pursuers[j], float(delay[j]), geo, tau, method, j, direct[blocked & (d_cols == j)])
    for k in np.flatnonzero(ashore).tolist():
        i = int(rows[k])
        frac = planner.land.landfall(tracks[k])
        eta = tau[i] + delay
        landfall_h = (frac if frac is not None else 1.0) * float(eta[cols[k]])
        tau[i, ~(eta < landfall_h)] = np.nan  # met only before it reaches land
    return bool(blocked.any() or ashore.any())


def _unclear(planner: InterceptPlanner, p: Pursuer, geo: PairGeometry, tau: np.ndarray, j: int) -> np.ndarray:
    """The targets (rows) whose closed-form meeting with boat `j` the field says is not over clear water
    (its water distance there longer than the straight run, beyond the field's error); the others keep
    the closed form (checked again on the land polygons for the pair that wins)."""
    live = np.flatnonzero(np.isfinite(tau[:, j]))
    if live.size == 0:
        return live
    reach = reach_h(p)
    sea = planner.field_for(p.lat, p.lon, p.speed_kn * reach)
    plane, cell = sea.grid.plane, sea.grid.cell_nm
    ax, ay = (float(v) for v in plane.to_xy(p.lat, p.lon))
    offset = math.hypot(ax, ay)  # the field's source is where the asset was when it was built
    mx, my = plane.to_xy(geo.meet_lat[live, j], geo.meet_lon[live, j])
    run = p.speed_kn * tau[live, j]
    water = lookup_nm(sea, mx, my) + offset
    outside = np.maximum(np.abs(mx), np.abs(my)) >= sea.grid.half_nm
    cut = p.speed_kn * reach > MAX_FIELD_RADIUS_NM  # beyond a cut field: the straight line, as `plan`
    clear = (water <= run * (1 + STRAIGHT_TOLERANCE) + 1.5 * cell) | (outside & cut)
    return live[~clear]


def _trace(
    planner: InterceptPlanner,
    p: Pursuer,
    delay_h: float,
    geo: PairGeometry,
    tau: np.ndarray,
    method: np.ndarray,
    j: int,
    rows: np.ndarray,
) -> None:
    """The first meeting over water of asset `j` with targets `rows`, by sphere tracing on its field
    from their closed-form time (a lower bound)."""
    if rows.size == 0:
        return
    reach = reach_h(p)
    sea = planner.field_for(p.lat, p.lon, p.speed_kn * reach)
    plane, cell = sea.grid.plane, sea.grid.cell_nm
    ax, ay = (float(v) for v in plane.to_xy(p.lat, p.lon))
    offset = math.hypot(ax, ay)
    tx, ty = plane.to_xy(geo.t_lat[rows, 0], geo.t_lon[rows, 0])
    vx, vy = geo.vx[rows, 0], geo.vy[rows, 0]
    rate = p.speed_kn + np.hypot(vx, vy)
    t = np.where(np.isfinite(geo.t[rows, j]), geo.t[rows, j], 0.0)
    done = np.zeros(rows.size, dtype=bool)
    lost = np.zeros(rows.size, dtype=bool)
    for _ in range(MAX_STEPS):
        idx = np.flatnonzero(~done & ~lost)
        if idx.size == 0:
            break
        at = t[idx] + delay_h
        gap = lookup_nm(sea, tx[idx] + vx[idx] * at, ty[idx] + vy[idx] * at) + offset - p.speed_kn * t[idx]
        settled = gap <= cell / 2.0
        done[idx[settled]] = True
        moving = idx[~settled]
        t[moving] += gap[~settled] / rate[moving]  # inf (land, outside) ends it below
        lost[moving[~(t[moving] <= reach)]] = True
    tau[rows[done], j] = t[done]
    method[rows[done], j] = "sea_grid"
    tau[rows[lost], j] = np.nan
    # not settled in MAX_STEPS (a slow approach: a target nearly as fast, running away): not counted on
    tau[rows[~done], j] = np.nan


def _worst(
    targets: Sequence[TargetState],
    pursuers: Sequence[Pursuer],
    delay: np.ndarray,
    geo: PairGeometry,
    eta_h: np.ndarray,
    method: np.ndarray,
    horizon: np.ndarray,
) -> np.ndarray:
    """The conservative ETA (h) of the pairs that could be a target's best by it (NaN: not within
    reach, or not needed). Exact targets: the nominal ETA."""
    worst = eta_h.copy()
    sp = np.array([t.sigma_m / M_PER_NM for t in targets])
    sv = np.array([t.sigma_kn for t in targets])
    age = np.array([t.age_h for t in targets])
    vague = np.flatnonzero((sp > 0) | (sv > 0))
    if vague.size == 0:
        return worst
    speed = np.array([p.speed_kn for p in pursuers])
    sog = np.hypot(geo.vx[:, 0], geo.vy[:, 0])

    def solve(r: np.ndarray, c: np.ndarray) -> np.ndarray:
        lim = horizon[c] + delay[c]
        open_sea = worst_open_sea_h(
            geo.dx[r, c] - geo.vx[r, 0] * delay[c],  # the target's offset now, not after the notice
            geo.dy[r, c] - geo.vy[r, 0] * delay[c],
            geo.vx[r, 0],
            geo.vy[r, 0],
            speed[c],
            sp[r],
            sv[r],
            eta_h[r, c],
            lim,
            delay[c],
            age[r],
        )
        round_land = worst_after_meeting_h(eta_h[r, c], speed[c], sog[r], sp[r], sv[r], lim, age[r])
        return np.where(method[r, c] == "sea_grid", round_land, open_sea)

    sub = eta_h[vague]
    worst[vague] = np.nan
    reachable = np.isfinite(sub).any(axis=1)
    vague, sub = vague[reachable], sub[reachable]
    if vague.size == 0:
        return worst
    # the nominally best pair first: its conservative ETA bars every pair nominally later than it
    first = np.argmin(np.where(np.isfinite(sub), sub, np.inf), axis=1)
    bar = solve(vague, first)
    worst[vague, first] = bar
    bar = np.where(np.isfinite(bar), bar, np.inf)
    rows, cols = np.nonzero(np.isfinite(sub) & (sub < bar[:, None]))
    other = cols != first[rows]
    rows, cols = vague[rows[other]], cols[other]
    if rows.size:
        worst[rows, cols] = solve(rows, cols)
    return worst


def _return_nm(
    planner: InterceptPlanner,
    pursuers: Sequence[Pursuer],
    cols: np.ndarray,
    lat: np.ndarray,
    lon: np.ndarray,
) -> list[float | None]:
    """From each meeting back to the asset's home base: over water on the base's field (kept by the
    planner) where it reaches, else straight; None without a base."""
    out: list[float | None] = [None] * len(cols)
    for j in np.unique(cols).tolist():
        p = pursuers[j]
        if p.base_lat is None or p.base_lon is None:
            continue
        k = np.flatnonzero(cols == j)
        bx, by = LocalPlane(p.base_lat, p.base_lon).to_xy(lat[k], lon[k])
        back = np.hypot(bx, by)
        if p.over_water:
            base = planner.field_for(p.base_lat, p.base_lon, MAX_FIELD_RADIUS_NM)
            fx, fy = base.grid.plane.to_xy(lat[k], lon[k])
            water = lookup_nm(base, fx, fy)
            back = np.where(np.isfinite(water), water, back)
        for kk, value in zip(k.tolist(), back.tolist(), strict=True):
            out[kk] = float(value)
    return out


def lookup_nm(sea: SeaField, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The field's water distance at points, bilinear between the four cell centres round each point;
    land cells along the coast carry their best water neighbour's distance plus the step (as
    `SeaField.distance_nm` reads a point by the coast), so reading near land needs no slow path; inf
    inland and outside the grid."""
    g = sea.grid
    d = _coast_filled(sea)
    u = (np.asarray(x) + g.half_nm) / g.cell_nm - 0.5
    v = (np.asarray(y) + g.half_nm) / g.cell_nm - 0.5
    c0 = np.floor(u).astype(np.intp)
    r0 = np.floor(v).astype(np.intp)
    inside = (c0 >= 0) & (r0 >= 0) & (c0 < g.n - 1) & (r0 < g.n - 1)
    c0, r0 = np.where(inside, c0, 0), np.where(inside, r0, 0)
    fu, fv = u - c0, v - r0
    with np.errstate(invalid="ignore"):  # inf inland times a zero weight
        top = d[r0, c0] * (1 - fu) + d[r0, c0 + 1] * fu
        bottom = d[r0 + 1, c0] * (1 - fu) + d[r0 + 1, c0 + 1] * fu
        out = np.where(inside, top * (1 - fv) + bottom * fv, np.inf)
    return np.asarray(np.where(np.isnan(out), np.inf, out), dtype=np.float64)


def _coast_filled(sea: SeaField) -> np.ndarray:
    """`sea.dist_nm` with each land cell next to water given its best water neighbour's distance plus
    the step between their centres (computed once per field, kept on it)."""
    kept = sea.__dict__.get("_coast_filled")
    if kept is not None:
        return np.asarray(kept)
    d = sea.dist_nm
    padded = np.pad(d, 1, constant_values=np.inf)
    best = np.full(d.shape, np.inf)
    n = d.shape[0]
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            if dr or dc:
                near = padded[1 + dr : 1 + dr + n, 1 + dc : 1 + dc + n]
                best = np.minimum(best, near + sea.grid.cell_nm * math.hypot(dr, dc))
    filled = np.where(np.isfinite(d), d, best)
    sea.__dict__["_coast_filled"] = filled
    return filled


def _plan(
    target: TargetState,
    p: Pursuer,
    delay_h: float,
    times_h: tuple[float, float],
    meet: tuple[float, float],
    method: str,
    zone: str | None,
    return_nm: float | None,
) -> InterceptPlan:
    """The plan of a target's best pair; the target's error at the meeting."""
    eta_h, worst_h = times_h
    lat, lon = meet
    one_sigma = float(sigma_nm(target.sigma_m / M_PER_NM, target.sigma_kn, eta_h + target.age_h))
    run_nm = p.speed_kn * (eta_h - delay_h)
    route = ((p.lon, p.lat), (lon, lat)) if method != "sea_grid" else ()
    return InterceptPlan(
        asset=p.asset_id,
        reachable=True,
        eta_s=eta_h * 3600.0,
        lat=lat,
        lon=lon,
        route_nm=run_nm,
        return_nm=return_nm,
        fuel_ok=p.fuel_range_nm is None or run_nm + (return_nm or 0.0) <= p.fuel_range_nm,
        route=route,
        in_territorial_sea=zone is not None,
        zone=zone,
        uncertainty_nm=one_sigma,
        search_radius_nm=K95 * one_sigma,
        eta_worst_s=worst_h * 3600.0 if math.isfinite(worst_h) else None,
        method=method,
        notice_s=delay_h * 3600.0 if delay_h > 0 else None,
        track_id=target.track_id,
    )
