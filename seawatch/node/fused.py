"""`FusedTrackStage`: the node's track stage over fusion's `LiveFusion` (one fused track per vessel).

It cuts each batch into the same scan batches as `LiveFusion.ingest`, runs fusion's `Tracker`, and
reports, per observation, the confirmed fused track it updated (`T000123`) with that track's state;
contacts of tentative tracks get `None` (kept in history under `unshown:<sensor>:<target_ref>`, not shown
live, so not in a replay either).
Dark-target events that fusion raises are handed over through `take_events()`.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from seawatch.fusion.config import FusionConfig
from seawatch.fusion.pipeline import LiveFusion, batch_bounds
from seawatch.fusion.tracker import TrackStep, track_id_of
from seawatch.model import AisStatic, Event, Observation, SensorKind
from seawatch.node.tracker import track_key
from seawatch.store.base import UNSHOWN_TRACK_PREFIX, TrackState


def _union(a: tuple[str, ...], b: Sequence[str]) -> tuple[str, ...]:
    if all(x in a for x in b):
        return a
    return tuple(dict.fromkeys((*a, *b)))


class FusedTrackStage:
    def __init__(self, node_id: str, config: FusionConfig | None = None) -> None:
        self.node_id = node_id
        self.fusion = LiveFusion(config)
        self.states: dict[str, TrackState] = {}
        self.identity: dict[int, tuple[str | None, int | None]] = {}
        self._events: dict[str, Event] = {}

    def resume(self, states: list[TrackState]) -> None:
        """After a restart: new fused track numbers continue after the stored ones (ids stay unique).

        Fusion's tracker state itself is not persisted: vessels get new tracks, which replace their
        old ones in the live picture as they report."""
        nums = [int(s.track_id[1:]) for s in states if s.track_id[:1] == "T" and s.track_id[1:].isdigit()]
        if nums:
            self.fusion.tracker.continue_numbering_after(max(nums))

    def drop_older_than(self, epoch_s: float) -> int:
        """Forget shown states last updated before `epoch_s` (fusion deletes its own tracks by age)."""
        stale = [key for key, state in self.states.items() if state.time.timestamp() < epoch_s]
        for key in stale:
            del self.states[key]
        return len(stale)

    def take_events(self) -> list[Event]:
        events = list(self._events.values())
        self._events.clear()
        return events

    def observe_static(self, static: AisStatic) -> TrackState | None:
        name = static.shipname.strip() if static.shipname else None
        old_name, old_type = self.identity.get(static.mmsi, (None, None))
        self.identity[static.mmsi] = (
            name or old_name,
            static.ship_type if static.ship_type is not None else old_type,
        )
        for key, state in self.states.items():
            if state.mmsi == static.mmsi:
                new_name, new_type = self.identity[static.mmsi]
                if (new_name, new_type) != (state.name, state.ship_type):
                    self.states[key] = replace(state, name=new_name, ship_type=new_type)
                    return self.states[key]
        return None

    def _apply(self, step: TrackStep, nodes: Sequence[str]) -> None:
        if step.kind == "deleted":
            self.states.pop(step.track_id, None)
            return
        prev = self.states.get(step.track_id)
        name, ship_type = self.identity.get(step.mmsi, (None, None)) if step.mmsi else (None, None)
        if prev is None:
            sources, sensors, node_ids = tuple(step.sources), tuple(step.sensors), tuple(dict.fromkeys(nodes))
        else:
            name = name or prev.name
            ship_type = ship_type if ship_type is not None else prev.ship_type
            sources = _union(prev.sources, step.sources)
            sensors = _union(prev.sensors, step.sensors)
            node_ids = _union(prev.nodes, nodes)
        self.states[step.track_id] = TrackState(
            step.track_id,
            step.time,
            step.lat,
            step.lon,
            mmsi=step.mmsi,
            sog_kn=step.sog_kn,
            cog_deg=step.cog_deg,
            name=name,
            ship_type=ship_type,
            sources=sources,
            sensors=sensors,
            nodes=node_ids,
            dark=step.mmsi is None and "ais" not in sources,
            pos_sigma_m=step.pos_sigma_m,
            vel_sigma_mps=step.vel_sigma_mps,
        )

    def update(self, observations: Sequence[Observation]) -> list[tuple[str, TrackState | None]]:
        out: list[tuple[str, TrackState | None]] = [
            (UNSHOWN_TRACK_PREFIX + track_key(o), None) for o in observations
        ]
        idx = [i for i, o in enumerate(observations) if o.sensor != SensorKind.AIS or o.mmsi]
        if not idx:
            return out
        idx.sort(key=lambda i: observations[i].time)
        usable = [observations[i] for i in idx]
        t = np.array([o.time.timestamp() for o in usable])
        contact = np.array([o.sensor != SensorKind.AIS for o in usable])
        tracker = self.fusion.tracker
        for lo, hi in itertools.pairwise(batch_bounds(t, contact, self.fusion.config.scan_window_s)):
            chunk = usable[lo:hi]
            res = tracker.process(tracker.batch_from_observations(chunk))
            nums = res.track_num.tolist()
            nodes_of: dict[str, list[str]] = {}
            for o, num in zip(chunk, nums, strict=True):
                if num >= 0:
                    origin = str(o.extra.get("node", self.node_id)) if o.extra else self.node_id
                    nodes_of.setdefault(track_id_of(num), []).append(origin)
            for step in tracker.steps_of(res, chunk):
                self._apply(step, nodes_of.get(step.track_id, ()))
            for event in self.fusion.dark_events(res, chunk):
                self._events[event.event_id] = event
            for j, num in enumerate(nums):
                if num >= 0 and num in tracker.confirmed_nums:
                    tid = track_id_of(num)
                    out[idx[lo + j]] = (tid, self.states.get(tid))
        return out
