"""`OpsService`: the node's fleet, live asset positions, taskings, and alerts ranked by interceptability.

It sits beside the node and uses the picture through the node's own interfaces (`Node.subscribe`,
`Node.live`, the store). A bus callback never plans (that would slow the commit loop): it marks the
target of every track update that has an alert on it, and a background loop, every `replan_s`, replans
every marked target at once in a worker thread (`ops/fastbest.py`: closed form and field lookups, the
fields kept per asset), from its newest state. So every track update is covered by a plan made at most
`replan_s` plus one planning pass after it; updates of one target within that time share one plan (the
newest state supersedes the others). The screens are told only when a best intercept changes (another
asset or verdict, or the ETA moves by over 10 s). The ranking of alerts by interceptability is
`ops/ranking.py`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, cast

from seawatch.errors import InputError, NotFoundError
from seawatch.model import Event
from seawatch.node.bus import LiveItem
from seawatch.ops.assets import AssetConfig, AssetPosition, Readiness, readiness_board
from seawatch.ops.intercept import InterceptPlanner
from seawatch.ops.planning import TaskedTarget, Tasking, plan_fleet
from seawatch.ops.pursuit import InterceptPlan, TargetState
from seawatch.ops.ranking import AlertBook, best_views, target_of
from seawatch.store.assets import SqliteAssets
from seawatch.store.base import TrackState

log = logging.getLogger(__name__)


class ConflictError(InputError):
    """The request clashes with the asset's state (already exists, not available, not tasked): the API
    answers 409 with the message as `detail` and `code` and `ctx` (its values) for a page to word it."""

    def __init__(self, message: str, code: str, **ctx: str) -> None:
        super().__init__(message)
        self.code = code
        self.ctx = ctx


class OpsService:
    def __init__(
        self,
        node: Any,
        planner: InterceptPlanner | None = None,
        replan_s: float = 0.1,
    ) -> None:
        self.node = node
        if not isinstance(node.store, SqliteAssets):
            raise TypeError("the node's store keeps no assets")
        self.store: SqliteAssets = node.store
        self._planner = planner
        self.replan_s = replan_s  # period of the replanning loop
        self.plan_lag_s: deque[float] = deque(maxlen=100_000)  # track update -> its plan made, per target
        self.plan_passes: deque[tuple[float, int]] = deque(maxlen=100_000)  # (seconds, targets) per pass
        self.assets: dict[str, AssetConfig] = {}
        self.positions: dict[str, AssetPosition] = {}  # live (own AIS, TAK)
        self.taskings: dict[str, dict[str, Any]] = {t["asset_id"]: t for t in self.store.taskings()}
        self.book = AlertBook()  # alerts on targets, their best intercepts, targets to replan
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
            self.book.note_track(state.track_id)
        elif item.kind == "event":
            self.book.note_event(cast(Event, item.item))

    def set_live_position(self, asset_id: str, where: AssetPosition) -> None:
        self.positions[asset_id] = where
        self.broadcast("asset", self.asset_view(asset_id))

    async def _replan_loop(self) -> None:
        while True:
            started = time.perf_counter()
            if self.book.dirty:
                batch = self.book.take_all()
                try:
                    updates = await asyncio.to_thread(self.replan, set(batch))
                except Exception:
                    log.exception("replanning failed")
                    updates = {}
                done = time.perf_counter()
                self.plan_passes.append((done - started, len(batch)))
                self.plan_lag_s.extend(done - marked for marked in batch.values())
                for event_id, best in updates.items():
                    self.broadcast("intercept", {"event_id": event_id, **best})
            await asyncio.sleep(max(self.replan_s - (time.perf_counter() - started), 0.005))

    def replan(self, track_ids: set[str]) -> dict[str, dict[str, Any]]:
        """Best intercept for every alert on these tracks, all targets at once (worker thread)."""
        from seawatch.ops.planning import position_of, pursuer_of

        def best_for(states: list[TrackState]) -> list[dict[str, Any]]:
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
            names = {a.id: a.name for a in fleet}
            return best_views(self.planner, states, pursuers, delays, names)

        return self.book.replan(track_ids, self.node.live, best_for)

    def ranked_alerts(self) -> list[dict[str, Any]]:
        return self.book.ranked()

    @property
    def alerts(self) -> dict[str, Event]:
        return self.book.alerts

    @property
    def best(self) -> dict[str, dict[str, Any]]:
        return self.book.best

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
            raise ConflictError(f"asset {asset.id} already exists", "asset_exists", asset=asset.id)
        self.store.save_asset(asset.model_dump(mode="json"), actor, "asset.add", {"name": asset.name})
        self.assets[asset.id] = asset
        view = self.asset_view(asset.id)
        self.broadcast("asset", view)
        return view

    def set_readiness(self, asset_id: str, readiness: Readiness, actor: str) -> dict[str, Any]:
        asset = self.asset(asset_id)
        if readiness.state == "on_task":
            raise ConflictError(
                "task an asset with POST /api/ops/assets/{id}/task, not by setting its state",
                "task_not_by_state",
                asset=asset_id,
            )
        changed = asset.model_copy(update={"readiness": readiness})
        details = {"from": asset.readiness.model_dump(mode="json"), "to": readiness.model_dump(mode="json")}
        release = asset_id in self.taskings
        self.store.save_asset(
            changed.model_dump(mode="json"), actor, "asset.readiness", details, release=release
        )
        gone = self.taskings.pop(asset_id, None)
        self.assets[asset_id] = changed
        if gone is not None:  # e.g. broke down on task: every screen drops its route
            self.broadcast(
                "tasking", {"asset_id": asset_id, "released": True, "track_id": gone.get("track_id")}
            )
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
            raise ConflictError(
                f"asset {asset_id} is {asset.readiness.state}, not available for tasking",
                "asset_unavailable",
                asset=asset_id,
                state=asset.readiness.state,
            )
        if asset.readiness.state == "on_task":
            raise ConflictError(f"asset {asset_id} is already on task", "asset_on_task", asset=asset_id)
        plan = next(
            p for p in plan_fleet(self.planner, target_of(state), [asset], state.time, self.positions)
        )
        if not plan.reachable:
            raise ConflictError(
                f"asset {asset_id} cannot reach track {track_id}: {plan.reason}",
                "asset_unreachable",
                asset=asset_id,
                track=track_id,
                reason=str(plan.reason),
            )
        tasking = Tasking(
            asset_id=asset_id,
            track_id=track_id,
            event_id=event_id,
            tasked_by=actor,
            tasked_at=datetime.now(UTC),
            target=TaskedTarget(
                lat=state.lat, lon=state.lon, cog_deg=state.cog_deg, sog_kn=state.sog_kn, time=state.time
            ),
            plan=InterceptPlan.model_validate(plan.to_json()),  # as the CLI prints it (rounded)
        ).model_dump(mode="json")
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
            raise ConflictError(f"asset {asset_id} is not on task", "asset_not_on_task", asset=asset_id)
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
        self.book.mark_all()  # the fleet changed: every alert's best may have
        return view

    def board(self, now: datetime | None = None) -> dict[str, Any]:
        return readiness_board(list(self.assets.values()), now or datetime.now(UTC))

    def replace_planner(self, planner: InterceptPlanner) -> None:
        self._planner = planner
