"""Alerts ranked by interceptability: each alert-level event on a target carries the best intercept by
the fleet (asset, ETA, inside the territorial sea) or "no asset can reach it".

`AlertBook` keeps the alerts, their best intercepts and the targets waiting to be replanned (oldest
first); `best_views` turns `ops/batch.py`'s best plans into what the API and the WebSocket send. Order:
a target an asset can catch inside the territorial sea first (earliest first), then other reachable
ones, then the unreachable; at the same rank and ETA a go-fast first, then the newest.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from seawatch.errors import InputError
from seawatch.model import Event
from seawatch.ops.fastbest import fleet_best
from seawatch.ops.intercept import InterceptPlanner
from seawatch.ops.plane import KN_PER_MPS
from seawatch.ops.pursuit import InterceptPlan, Pursuer, TargetState
from seawatch.store.base import TrackState

# alert-level events about a target one could send a boat to (not e.g. a silent sensor)
TARGET_ALERTS = frozenset(
    {
        "dark_target",
        "speed_anomaly",
        "watchlist_hit",
        "zone_entry",
        "encounter",
        "ais_gap",
        "rendezvous",
        "loitering",
        "identity_conflict",
    }
)
MOVING_KN = 1.0  # slower targets are planned as they are (stationary), not ranked as moving
MAX_ALERTS = 2000  # alerts kept for ranking (oldest forgotten first)


class BestIntercept(BaseModel):
    """An alert's best intercept as the API and the WebSocket send it (`best_views`): the fields after
    `reason` are given when an asset can reach the target."""

    model_config = ConfigDict(extra="forbid")

    reachable: bool
    track_id: str | None = None
    reason: str | None = Field(None, description="why no asset can reach it (or it is not planned yet)")
    asset: str | None = None
    asset_name: str | None = None
    eta_s: float | None = None
    eta_worst_s: float | None = Field(None, description="conservative (95 %) ETA")
    search_radius_nm: float | None = None
    lat: float | None = Field(None, description="the predicted intercept point")
    lon: float | None = None
    in_territorial_sea: bool | None = None
    zone: str | None = None
    fuel_ok: bool | None = None
    moving: bool | None = None
    planned_at: str | None = Field(None, description="the target's time the plan is for (ISO 8601 UTC)")


def target_of(state: TrackState) -> TargetState:
    """The planner's target from a live track, with the tracker's position and velocity error (1 sigma
    along the error ellipse's major axis, taken on both axes: the conservative side); none when the
    track has no estimate (restored from the store, a partner's)."""
    return TargetState(
        lat=state.lat,
        lon=state.lon,
        cog_deg=(state.cog_deg or 0.0) % 360.0,
        sog_kn=min(max(state.sog_kn or 0.0, 0.0), 120.0),
        time=state.time,
        sigma_m=min(_finite(state.pos_sigma_m), 100_000.0),
        sigma_kn=min(_finite(state.vel_sigma_mps) * KN_PER_MPS, 100.0),
        track_id=state.track_id,
    )


def _finite(value: float | None) -> float:
    """A non-negative finite number, or 0 (a track without the figure, or with a broken one)."""
    return value if value is not None and math.isfinite(value) and value > 0.0 else 0.0


def alert_rank_key(best: dict[str, Any]) -> tuple[int, float]:
    """0: reachable inside the territorial sea; 1: reachable elsewhere; 2: no asset can reach it; then by
    the conservative ETA (the asset can cover the target's 95 % search circle), else the nominal one."""
    if not best.get("reachable"):
        return (2, 0.0)
    eta = best.get("eta_worst_s")
    if eta is None:
        eta = float(best.get("eta_s") or 0.0) + 1e9  # not sure within reach: after those that are
    return (0 if best.get("in_territorial_sea") else 1, float(eta))


class AlertBook:
    def __init__(self) -> None:
        self.alerts: dict[str, Event] = {}
        self.best: dict[str, dict[str, Any]] = {}  # event id -> best intercept
        # track ids to replan -> when first marked since their last plan (perf_counter s); a target marked
        # again keeps its place and time: its next plan covers every update since
        self.dirty: dict[str, float] = {}
        self._per_track: dict[str, int] = {}  # track id -> alerts on it

    def note_event(self, event: Event) -> None:
        if event.severity != "alert" or event.type not in TARGET_ALERTS or not event.track_ids:
            return
        track = event.track_ids[0]
        if event.event_id not in self.alerts:
            self._per_track[track] = self._per_track.get(track, 0) + 1
        self.alerts[event.event_id] = event
        self.dirty.setdefault(track, time.perf_counter())
        while len(self.alerts) > MAX_ALERTS:
            gone = self.alerts.pop(next(iter(self.alerts)))
            self.best.pop(gone.event_id, None)
            left = self._per_track.get(gone.track_ids[0], 1) - 1
            if left <= 0:
                self._per_track.pop(gone.track_ids[0], None)
            else:
                self._per_track[gone.track_ids[0]] = left

    def note_track(self, track_id: str) -> None:
        """A target moved: replan it if an alert is on it."""
        if track_id in self._per_track:
            self.dirty.setdefault(track_id, time.perf_counter())

    def mark_all(self) -> None:
        now = time.perf_counter()
        for track_id in self._per_track:
            self.dirty.setdefault(track_id, now)

    def take_all(self) -> dict[str, float]:
        """Every target to replan, with when it was first marked; the book starts afresh."""
        batch, self.dirty = self.dirty, {}
        return batch

    def replan(
        self,
        track_ids: set[str],
        live: Mapping[str, TrackState],
        best_for: Callable[[list[TrackState]], list[dict[str, Any]]],
    ) -> dict[str, dict[str, Any]]:
        by_track: dict[str, list[str]] = {}
        for event in list(self.alerts.values()):
            if event.track_ids and event.track_ids[0] in track_ids:
                by_track.setdefault(event.track_ids[0], []).append(event.event_id)
        states: list[TrackState] = []
        updates: dict[str, dict[str, Any]] = {}
        for track_id, event_ids in by_track.items():
            state = live.get(track_id)
            if state is None:
                gone = {"reachable": False, "reason": "the target is no longer in the live picture"}
                updates.update(dict.fromkeys(event_ids, gone))
            else:
                states.append(state)
        for state, best in zip(states, best_for(states), strict=True):
            updates.update(dict.fromkeys(by_track[state.track_id], best))
        changed = {k: v for k, v in updates.items() if _changed(self.best.get(k), v)}
        self.best.update(updates)
        return changed

    def ranked(self) -> list[dict[str, Any]]:
        rows = []
        for event_id, event in self.alerts.items():
            best = self.best.get(event_id, {"reachable": False, "reason": "not planned yet"})
            rows.append({"event": {**event.to_json(), "id": event_id}, "intercept": best})
        # at the same rank and ETA a go-fast first (it is the one that gets away), then the newest
        rows.sort(
            key=lambda r: (
                alert_rank_key(r["intercept"]),
                r["event"]["type"] != "speed_anomaly",
                -_start_s(r["event"]),
            )
        )
        return rows


def _changed(before: dict[str, Any] | None, after: dict[str, Any]) -> bool:
    """Worth telling the screens: another asset or verdict, or the ETA moved by over 10 s (and 1 %)."""
    if before is None:
        return True
    for key in ("reachable", "asset", "in_territorial_sea", "reason"):
        if before.get(key) != after.get(key):
            return True
    for key in ("eta_s", "eta_worst_s"):
        a, b = before.get(key), after.get(key)
        if (a is None) != (b is None):
            return True
        if a is not None and b is not None and abs(a - b) > max(10.0, 0.01 * abs(b)):
            return True
    return False


def best_views(
    planner: InterceptPlanner,
    states: list[TrackState],
    pursuers: Sequence[Pursuer],
    delays_h: Sequence[float],
    names: Mapping[str, str],
) -> list[dict[str, Any]]:
    """The best intercept of each track, as sent to the web picture."""
    out: list[dict[str, Any]] = []
    targets, ok = [], []
    for state in states:
        target = target_of(state)
        try:
            planner.check_target(target)
        except InputError as exc:
            out.append({"reachable": False, "reason": str(exc), "track_id": state.track_id})
            ok.append(False)
            continue
        targets.append(target)
        ok.append(True)
        out.append({})
    plans = iter(fleet_best(planner, targets, pursuers, delays_h))
    for k, state in enumerate(states):
        if ok[k]:
            out[k] = _view(state, next(plans), names)
    return out


def _view(state: TrackState, top: InterceptPlan | None, names: Mapping[str, str]) -> dict[str, Any]:
    if top is None or not top.reachable:
        return {"reachable": False, "reason": "no asset can reach it", "track_id": state.track_id}
    return {
        "reachable": True,
        "track_id": state.track_id,
        "asset": top.asset,
        "asset_name": names.get(top.asset, top.asset),
        "eta_s": top.eta_s,
        "eta_worst_s": top.eta_worst_s,
        "search_radius_nm": top.search_radius_nm,
        "lat": top.lat,
        "lon": top.lon,
        "in_territorial_sea": top.in_territorial_sea,
        "zone": top.zone,
        "fuel_ok": top.fuel_ok,
        "moving": (state.sog_kn or 0.0) >= MOVING_KN,
        "planned_at": state.time.isoformat().replace("+00:00", "Z"),
    }


def _start_s(event: dict[str, Any]) -> float:
    try:
        return datetime.fromisoformat(str(event.get("start", "")).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0
