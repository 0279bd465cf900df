"""`OpsService`: the node's fleet, live asset positions, taskings, and alerts ranked by interceptability.

It sits beside the node and uses the picture through the node's own interfaces (`Node.subscribe`,
`Node.live`, the store). A bus callback never plans (that would slow the commit loop): it notes which
targets changed, and a background loop replans them in a worker thread, at most every `replan_s`.

Each alert-level event on a moving target carries its best intercept (asset, ETA, in territorial sea)
or "no asset can reach it"; `ranked_alerts()` orders them: a target a ready asset can catch inside the
territorial sea first (earliest first), then other reachable ones, then the unreachable.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, cast

from seawatch.errors import InputError, NotFoundError
from seawatch.model import Event
from seawatch.node.bus import LiveItem
from seawatch.ops.assets import AssetConfig, AssetPosition, Readiness, readiness_board
from seawatch.ops.intercept import InterceptPlan, InterceptPlanner, TargetState
from seawatch.ops.planning import plan_fleet
from seawatch.store.assets import SqliteAssets
from seawatch.store.base import TrackState

log = logging.getLogger(__name__)

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


class ConflictError(InputError):
    """The request clashes with the asset's state (already exists, not available, not tasked)."""


def target_of(state: TrackState) -> TargetState:
    return TargetState(
        lat=state.lat,
        lon=state.lon,
        cog_deg=(state.cog_deg or 0.0) % 360.0,
        sog_kn=min(max(state.sog_kn or 0.0, 0.0), 120.0),
        time=state.time,
        track_id=state.track_id,
    )


def alert_rank_key(best: dict[str, Any]) -> tuple[int, float]:
    """0: reachable inside the territorial sea; 1: reachable elsewhere; 2: no asset can reach it."""
    if not best.get("reachable"):
        return (2, 0.0)
    return (0 if best.get("in_territorial_sea") else 1, float(best.get("eta_s") or 0.0))


class OpsService:
    def __init__(
        self,
        node: Any,
        planner: InterceptPlanner | None = None,
        replan_s: float = 0.5,
        replan_budget_s: float = 0.1,
        replan_batch: int = 50,
    ) -> None:
        self.node = node
        if not isinstance(node.store, SqliteAssets):
            raise TypeError("the node's store keeps no assets")
        self.store: SqliteAssets = node.store
        self._planner = planner
        self.replan_s = replan_s  # period of the replanning loop
        self.replan_budget_s = replan_budget_s  # planning time per period (≈ 20 % of one core)
        self.replan_batch = replan_batch  # targets planned together
        self.assets: dict[str, AssetConfig] = {}
        self.positions: dict[str, AssetPosition] = {}  # live (own AIS, TAK)
        self.taskings: dict[str, dict[str, Any]] = {t["asset_id"]: t for t in self.store.taskings()}
        self.alerts: dict[str, Event] = {}
        self.best: dict[str, dict[str, Any]] = {}  # event id -> best intercept
        # track ids to replan, oldest first (a dict keeps order; a target marked again keeps its place)
        self._dirty: dict[str, None] = {}
        self._alert_tracks: dict[str, int] = {}  # track id -> alerts on it
        self._task: asyncio.Task[None] | None = None
        self._prewarm: asyncio.Future[None] | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self.listeners: list[Callable[[str, dict[str, Any]], None]] = []  # TAK and others
        self.plans_made = 0
        self.tak: Any = None  # TakBridge when [[tak]] feeds are configured
        self._load(getattr(node.settings, "assets", []) or [])

    @property
    def planner(self) -> InterceptPlanner:
        if self._planner is None:
            self._planner = InterceptPlanner()
        return self._planner

    def _load(self, configured: list[AssetConfig]) -> None:
        for row in self.store.assets():
            asset = AssetConfig.model_validate(row)
            self.assets[asset.id] = asset
        for asset in configured:  # the settings file seeds assets the store does not know yet
            if asset.id not in self.assets:
                self.store.save_asset(
                    asset.model_dump(mode="json"), "settings", "asset.add", {"from": "settings"}
                )
                self.assets[asset.id] = asset

    # -- lifecycle ---------------------------------------------------------------------------------
    async def start(self) -> None:
        self._unsubscribe = self.node.subscribe(self.on_live)
        self._task = asyncio.create_task(self._replan_loop(), name="ops-replan")
        self._prewarm = asyncio.create_task(asyncio.to_thread(self.prewarm), name="ops-prewarm")
        feeds = getattr(self.node.settings, "tak", []) or []
        if feeds:
            from seawatch.ops.tak import TakBridge

            self.tak = TakBridge(self, feeds)
            await self.tak.start()

    def prewarm(self) -> None:
        """Build each asset's sea field (and its base's) before the first alert needs them (~0.5 s each)."""
        from seawatch.ops.intercept import MAX_FIELD_RADIUS_NM
        from seawatch.ops.planning import position_of

        for asset in list(self.assets.values()):
            if asset.flies:
                continue
            where = position_of(asset, self.positions)
            reach_nm = asset.max_speed_kn * min(asset.endurance_h, asset.fuel_range_nm / asset.max_speed_kn)
            self.planner.field_for(where.lat, where.lon, reach_nm)
            self.planner.field_for(asset.base_lat, asset.base_lon, MAX_FIELD_RADIUS_NM)

    async def stop(self) -> None:
        if self._prewarm is not None:
            self._prewarm.cancel()
        if self.tak is not None:
            await self.tak.stop()
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def broadcast(self, kind: str, data: dict[str, Any]) -> None:
        self.node.bus.broadcast(kind, data)
        for listener in list(self.listeners):
            try:
                listener(kind, data)
            except Exception:
                log.exception("ops listener failed")

    # -- the picture -------------------------------------------------------------------------------
    def on_live(self, item: LiveItem) -> None:
        if item.kind == "track":
            state = cast(TrackState, item.item)
            if state.mmsi is not None:
                for asset in self.assets.values():
                    if asset.mmsi == state.mmsi:
                        self.set_live_position(
                            asset.id,
                            AssetPosition(
                                lat=state.lat,
                                lon=state.lon,
                                time=state.time,
                                source="ais",
                                sog_kn=state.sog_kn,
                                cog_deg=state.cog_deg,
                            ),
                        )
            if state.track_id in self._alert_tracks:
                self._dirty.setdefault(state.track_id)
        elif item.kind == "event":
            event = cast(Event, item.item)
            if event.severity == "alert" and event.type in TARGET_ALERTS and event.track_ids:
                self.alerts[event.event_id] = event
                self._alert_tracks[event.track_ids[0]] = self._alert_tracks.get(event.track_ids[0], 0) + 1
                self._dirty.setdefault(event.track_ids[0])
                while len(self.alerts) > MAX_ALERTS:
                    gone = self.alerts.pop(next(iter(self.alerts)))
                    self.best.pop(gone.event_id, None)
                    left = self._alert_tracks.get(gone.track_ids[0], 1) - 1
                    if left <= 0:
                        self._alert_tracks.pop(gone.track_ids[0], None)
                    else:
                        self._alert_tracks[gone.track_ids[0]] = left

    def set_live_position(self, asset_id: str, where: AssetPosition) -> None:
        self.positions[asset_id] = where
        self.broadcast("asset", self.asset_view(asset_id))

    async def _replan_loop(self) -> None:
        while True:
            await asyncio.sleep(self.replan_s)
            spent_s = 0.0
            # a CPU budget per period: planning shares the interpreter with the node's commit path, so
            # under load targets wait their turn (oldest first) rather than the alerts waiting for plans
            while self._dirty and spent_s < self.replan_budget_s:
                batch = list(self._dirty)[: self.replan_batch]
                for track_id in batch:
                    del self._dirty[track_id]
                started = time.perf_counter()
                try:
                    updates = await asyncio.to_thread(self.replan, set(batch))
                except Exception:
                    log.exception("replanning failed")
                    break
                spent_s += time.perf_counter() - started
                for event_id, best in updates.items():
                    self.broadcast("intercept", {"event_id": event_id, **best})

    def replan(self, track_ids: set[str]) -> dict[str, dict[str, Any]]:
        """Best intercept for every alert on these tracks, all targets at once (worker thread)."""
        by_track: dict[str, list[str]] = {}
        for event in list(self.alerts.values()):
            if event.track_ids and event.track_ids[0] in track_ids:
                by_track.setdefault(event.track_ids[0], []).append(event.event_id)
        states: list[TrackState] = []
        updates: dict[str, dict[str, Any]] = {}
        for track_id, event_ids in by_track.items():
            state = self.node.live.get(track_id)
            if state is None:
                gone = {"reachable": False, "reason": "the target is no longer in the live picture"}
                updates.update(dict.fromkeys(event_ids, gone))
            else:
                states.append(state)
        for state, best in zip(states, self.best_for(states), strict=True):
            updates.update(dict.fromkeys(by_track[state.track_id], best))
        self.best.update(updates)
        return updates

    def best_for(self, states: list[TrackState]) -> list[dict[str, Any]]:
        """The best intercept of each track by the fleet available at its time (`ops/batch.py`)."""
        from seawatch.ops.batch import best_intercepts
        from seawatch.ops.planning import position_of, pursuer_of

        if not states:
            return []
        when = max(s.time for s in states)
        fleet = [a for a in self.assets.values() if a.readiness.available_at(when)]
        pursuers = [pursuer_of(a, position_of(a, self.positions)) for a in fleet]
        delays = [
            (a.readiness.at(when).notice_h or 0.0) if a.readiness.at(when).state == "standby" else 0.0
            for a in fleet
        ]
        self.plans_made += len(states) * len(fleet)
        out: list[dict[str, Any]] = []
        targets, ok = [], []
        for state in states:
            target = target_of(state)
            try:
                self.planner.check_target(target)
            except InputError as exc:
                out.append({"reachable": False, "reason": str(exc), "track_id": state.track_id})
                ok.append(False)
                continue
            targets.append(target)
            ok.append(True)
            out.append({})
        plans = iter(best_intercepts(self.planner, targets, pursuers, delays))
        for k, state in enumerate(states):
            if ok[k]:
                out[k] = self._best_view(state, next(plans))
        return out

    def _best_view(self, state: TrackState, top: InterceptPlan | None) -> dict[str, Any]:
        if top is None or not top.reachable:
            return {"reachable": False, "reason": "no asset can reach it", "track_id": state.track_id}
        return {
            "reachable": True,
            "track_id": state.track_id,
            "asset": top.asset,
            "asset_name": self.assets[top.asset].name if top.asset in self.assets else top.asset,
            "eta_s": top.eta_s,
            "lat": top.lat,
            "lon": top.lon,
            "in_territorial_sea": top.in_territorial_sea,
            "zone": top.zone,
            "fuel_ok": top.fuel_ok,
            "moving": (state.sog_kn or 0.0) >= MOVING_KN,
            "planned_at": state.time.isoformat().replace("+00:00", "Z"),
        }

    def ranked_alerts(self) -> list[dict[str, Any]]:
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

    # -- plans -------------------------------------------------------------------------------------
    def plan_track(self, state: TrackState, when: datetime | None = None) -> list[InterceptPlan]:
        assets = list(self.assets.values())
        self.plans_made += len(assets)
        return plan_fleet(self.planner, target_of(state), assets, when or state.time, self.positions)

    def plan_target(self, target: TargetState) -> list[InterceptPlan]:
        assets = list(self.assets.values())
        self.plans_made += len(assets)
        return plan_fleet(self.planner, target, assets, target.time, self.positions)

    def track(self, track_id: str) -> TrackState:
        state = self.node.live.get(track_id)
        if state is None:
            raise NotFoundError(f"no live track {track_id}")
        return cast(TrackState, state)

    # -- assets ------------------------------------------------------------------------------------
    def asset(self, asset_id: str) -> AssetConfig:
        asset = self.assets.get(asset_id)
        if asset is None:
            raise NotFoundError(f"no asset {asset_id}")
        return asset

    def asset_view(self, asset_id: str, now: datetime | None = None) -> dict[str, Any]:
        from seawatch.ops.planning import position_of

        asset = self.asset(asset_id)
        when = now or datetime.now(UTC)
        return {
            **asset.model_dump(mode="json"),
            "readiness_now": asset.readiness.at(when).model_dump(mode="json"),
            "where": position_of(asset, self.positions).model_dump(mode="json"),
            "tasking": self.taskings.get(asset_id),
        }

    def add_asset(self, asset: AssetConfig, actor: str) -> dict[str, Any]:
        if asset.id in self.assets:
            raise ConflictError(f"asset {asset.id} already exists")
        self.store.save_asset(asset.model_dump(mode="json"), actor, "asset.add", {"name": asset.name})
        self.assets[asset.id] = asset
        view = self.asset_view(asset.id)
        self.broadcast("asset", view)
        return view

    def set_readiness(self, asset_id: str, readiness: Readiness, actor: str) -> dict[str, Any]:
        asset = self.asset(asset_id)
        if readiness.state == "on_task":
            raise ConflictError("task an asset with POST /api/ops/assets/{id}/task, not by setting its state")
        changed = asset.model_copy(update={"readiness": readiness})
        details = {"from": asset.readiness.model_dump(mode="json"), "to": readiness.model_dump(mode="json")}
        release = asset_id in self.taskings
        self.store.save_asset(
            changed.model_dump(mode="json"), actor, "asset.readiness", details, release=release
        )
        self.taskings.pop(asset_id, None)
        self.assets[asset_id] = changed
        return self._changed(asset_id)

    def set_position(self, asset_id: str, where: AssetPosition, actor: str) -> dict[str, Any]:
        asset = self.asset(asset_id)
        manual = where.model_copy(update={"source": "manual"})
        changed = asset.model_copy(update={"position": manual})
        self.store.save_asset(
            changed.model_dump(mode="json"), actor, "asset.position", manual.model_dump(mode="json")
        )
        self.assets[asset_id] = changed
        self.positions.pop(asset_id, None)
        return self._changed(asset_id)

    def task(self, asset_id: str, track_id: str, actor: str, event_id: str | None = None) -> dict[str, Any]:
        asset = self.asset(asset_id)
        state = self.track(track_id)
        if not asset.readiness.available_at(datetime.now(UTC)) and not asset.readiness.available_at(
            state.time
        ):
            raise ConflictError(f"asset {asset_id} is {asset.readiness.state}, not available for tasking")
        if asset.readiness.state == "on_task":
            raise ConflictError(f"asset {asset_id} is already on task")
        plan = next(
            p for p in plan_fleet(self.planner, target_of(state), [asset], state.time, self.positions)
        )
        if not plan.reachable:
            raise ConflictError(f"asset {asset_id} cannot reach track {track_id}: {plan.reason}")
        tasking = {
            "asset_id": asset_id,
            "track_id": track_id,
            "event_id": event_id,
            "tasked_by": actor,
            "tasked_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "target": {
                "lat": state.lat,
                "lon": state.lon,
                "cog_deg": state.cog_deg,
                "sog_kn": state.sog_kn,
                "time": state.time.isoformat().replace("+00:00", "Z"),
            },
            "plan": plan.to_json(),
        }
        changed = asset.model_copy(update={"readiness": Readiness(state="on_task", task=track_id)})
        self.store.save_asset(
            changed.model_dump(mode="json"),
            actor,
            "asset.task",
            {"track_id": track_id, "event_id": event_id, "eta_s": plan.eta_s},
            tasking=tasking,
        )
        self.assets[asset_id] = changed
        self.taskings[asset_id] = tasking
        self.broadcast("tasking", tasking)
        return self._changed(asset_id)

    def release(self, asset_id: str, actor: str) -> dict[str, Any]:
        asset = self.asset(asset_id)
        if asset.readiness.state != "on_task":
            raise ConflictError(f"asset {asset_id} is not on task")
        changed = asset.model_copy(update={"readiness": Readiness(state="ready")})
        gone = self.taskings.get(asset_id, {})
        self.store.save_asset(
            changed.model_dump(mode="json"),
            actor,
            "asset.release",
            {"track_id": gone.get("track_id")},
            release=True,
        )
        self.assets[asset_id] = changed
        self.taskings.pop(asset_id, None)
        self.broadcast("tasking", {"asset_id": asset_id, "released": True, "track_id": gone.get("track_id")})
        return self._changed(asset_id)

    def _changed(self, asset_id: str) -> dict[str, Any]:
        view = self.asset_view(asset_id)
        self.broadcast("asset", view)
        for event in self.alerts.values():  # the fleet changed: every alert's best may have
            if event.track_ids:
                self._dirty.setdefault(event.track_ids[0])
        return view

    def board(self, now: datetime | None = None) -> dict[str, Any]:
        return readiness_board(list(self.assets.values()), now or datetime.now(UTC))

    def replace_planner(self, planner: InterceptPlanner) -> None:
        self._planner = planner


def _start_s(event: dict[str, Any]) -> float:
    try:
        return datetime.fromisoformat(str(event.get("start", "")).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0
