"""`identity_conflict`: one MMSI reported at two places at once, or an invalid MMSI.

- position conflict: at least `min_jumps` (3) position jumps (see position_jump) by one track, each
  within `window_s` (1 h) of the previous one. Start = the time before the first jump; live emits it at
  the `min_jumps`-th jump and updates it with each further one. One event per episode: once established,
  every later jump of the track within `max_quiet_s` (6 h) of the previous one extends it (end, jumps,
  max implied speed) and is NOT reported as a position_jump (the conflict explains it).
- position jumps that are not part of a conflict are reported as `position_jump` once `window_s` has
  passed without the run reaching `min_jumps` (live: held that long; the jumps that establish a conflict
  are folded into it). With identity_conflict disabled, every jump is a position_jump at once.
- invalid MMSI (`check_mmsi`): the track's MMSI has no valid form (see seawatch.detect.mmsi); one event
  per track from its first to its last fix (such tracks get no position-conflict event; their jumps are
  position_jumps at once).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

import numpy as np

from seawatch.detect import position_jump
from seawatch.detect.context import DetectContext
from seawatch.detect.events import make_event
from seawatch.detect.mmsi import is_valid_mmsi, valid_mmsi
from seawatch.detect.tracks import LiveFix, TrackFrame
from seawatch.model.event import Event

NAME = "identity_conflict"


def _invalid_event(
    ctx: DetectContext,
    mmsi: int,
    track_id: str | None,
    t0: float,
    t1: float,
    lat: float,
    lon: float,
    fixes: int,
) -> Event:
    details = {"reason": "invalid_mmsi", "fixes": fixes, "duration_s": t1 - t0}
    return make_event(NAME, [mmsi], t0, t1, lat, lon, details, ctx.params(NAME), (track_id,))


@dataclass(slots=True)
class Jump:
    """One position jump: where from, where to, when, how far and how fast."""

    mmsi: int
    track_id: str | None
    t: float
    lat: float
    lon: float
    dt_s: float
    dist_m: float
    implied_kn: float
    from_lat: float
    from_lon: float

    def event(self, ctx: DetectContext) -> Event:
        return position_jump.jump_event(
            ctx,
            self.mmsi,
            self.track_id,
            self.t,
            self.lat,
            self.lon,
            self.dt_s,
            self.dist_m,
            self.implied_kn,
            self.from_lat,
            self.from_lon,
        )


@dataclass(slots=True)
class _Episode:
    t0: float
    lat: float
    lon: float
    jumps: int
    last_t: float
    max_kn: float

    def event(self, ctx: DetectContext, mmsi: int, track_id: str | None) -> Event:
        details = {
            "reason": "position_conflict",
            "jumps": self.jumps,
            "max_implied_sog_kn": self.max_kn,
            "duration_s": self.last_t - self.t0,
        }
        return make_event(
            NAME, [mmsi], self.t0, self.last_t, self.lat, self.lon, details, ctx.params(NAME), (track_id,)
        )


@dataclass(slots=True)
class JumpRuns:
    """Per-track state deciding, jump by jump, between a lone position_jump and an identity conflict.

    The one definition used by both forms (bulk feeds a track's jumps in order, then `release_all`).
    """

    min_jumps: int
    window_s: float
    max_quiet_s: float
    pending: list[Jump] = field(default_factory=list)
    episode: _Episode | None = None

    def release(self, now_s: float) -> list[Jump]:
        """Pending jumps that can no longer become a conflict at time `now_s` (lone position jumps)."""
        if self.pending and now_s - self.pending[-1].t > self.window_s:
            out, self.pending = self.pending, []
            return out
        return []

    def add(self, jump: Jump) -> tuple[list[Jump], _Episode | None]:
        """Released lone jumps, and the conflict episode if this jump opened or extended one."""
        ep = self.episode
        if ep is not None and jump.t - ep.last_t <= self.max_quiet_s:
            ep.jumps += 1
            ep.last_t = jump.t
            ep.max_kn = max(ep.max_kn, jump.implied_kn)
            return [], ep
        self.episode = None
        lone = self.release(jump.t)
        self.pending.append(jump)
        if len(self.pending) < self.min_jumps:
            return lone, None
        first = self.pending[0]
        ep = _Episode(
            first.t - first.dt_s,
            first.lat,
            first.lon,
            len(self.pending),
            jump.t,
            max(j.implied_kn for j in self.pending),
        )
        self.pending = []
        self.episode = ep
        return lone, ep

    def release_all(self) -> list[Jump]:
        out, self.pending = self.pending, []
        return out


def _bulk_jump(tf: TrackFrame, r: int) -> Jump:
    k = int(tf.kid[r])
    return Jump(
        int(tf.track_mmsi[k]),
        tf.track_ids[k],
        float(tf.t[r]),
        float(tf.lat[r]),
        float(tf.lon[r]),
        float(tf.dt_s[r]),
        float(tf.dist_m[r]),
        float(tf.implied_kn[r]),
        float(tf.lat[r - 1]),
        float(tf.lon[r - 1]),
    )


def detect_bulk(tf: TrackFrame, ctx: DetectContext) -> list[Event]:
    """identity_conflict events, plus the position_jump events when that detector is enabled too."""
    cfg = ctx.config.identity_conflict
    want_jumps = ctx.config.position_jump.enabled
    events: list[Event] = []
    invalid = np.zeros(tf.n_tracks, dtype=bool)
    if cfg.check_mmsi and tf.n_tracks:
        invalid = (tf.track_mmsi >= 0) & ~valid_mmsi(tf.track_mmsi)
        firsts = np.flatnonzero(tf.first)
        lasts = np.append(firsts[1:] - 1, len(tf) - 1)
        for k in np.flatnonzero(invalid).tolist():
            f, la = firsts[k], lasts[k]
            events.append(
                _invalid_event(
                    ctx,
                    int(tf.track_mmsi[k]),
                    tf.track_ids[k],
                    float(tf.t[f]),
                    float(tf.t[la]),
                    float(tf.lat[f]),
                    float(tf.lon[f]),
                    int(la - f + 1),
                )
            )
    rows = np.flatnonzero(tf.jump)
    if rows.size == 0:
        return events
    kids = tf.kid[rows]
    bounds = np.flatnonzero(np.diff(kids)) + 1
    for part in np.split(rows, bounds):
        k = int(tf.kid[part[0]])
        if invalid[k]:
            if want_jumps:
                events += [_bulk_jump(tf, int(r)).event(ctx) for r in part]
            continue
        runs = JumpRuns(cfg.min_jumps, cfg.window_s, cfg.max_quiet_s)
        lone: list[Jump] = []
        episodes: list[_Episode] = []
        for r in part.tolist():
            released, ep = runs.add(_bulk_jump(tf, r))
            lone += released
            if ep is not None and (not episodes or episodes[-1] is not ep):
                episodes.append(ep)
        lone += runs.release_all()
        mmsi, track_id = int(tf.track_mmsi[k]), tf.track_ids[k]
        events += [ep.event(ctx, mmsi, track_id) for ep in episodes]
        if want_jumps:
            events += [j.event(ctx) for j in lone]
    return events


class LiveIdentity:
    """Live form; also owns position_jump while identity_conflict is enabled (see the module doc)."""

    def __init__(self, ctx: DetectContext) -> None:
        self.ctx = ctx
        self.cfg = ctx.config.identity_conflict
        self.want_jumps = ctx.config.position_jump.enabled
        self.invalid: dict[str, list[float]] = {}  # key -> [t0, lat, lon, t_last, fixes, mmsi]
        self.checked: set[str] = set()
        self.runs: dict[str, JumpRuns] = {}
        self.prev: dict[str, tuple[float, float]] = {}
        self.track_ids: dict[str, str | None] = {}
        self.heap: list[tuple[float, str]] = []  # (time after which a track's pending jumps are lone, key)

    def _jumps(self, jumps: list[Jump]) -> list[Event]:
        return [j.event(self.ctx) for j in jumps] if self.want_jumps else []

    def observe(self, fix: LiveFix) -> list[Event]:
        key = fix.key
        prev = self.prev.get(key)
        self.prev[key] = (fix.lat, fix.lon)
        if key in self.invalid:
            entry = self.invalid[key]
            entry[3] = fix.t
            entry[4] += 1
            return self._lone_now(fix, prev)
        out: list[Event] = []
        if self.cfg.check_mmsi and key not in self.checked and fix.mmsi >= 0:
            self.checked.add(key)
            if not is_valid_mmsi(fix.mmsi):
                self.invalid[key] = [fix.t, fix.lat, fix.lon, fix.t, 1, fix.mmsi]
                self.track_ids[key] = fix.track_id
                ev = _invalid_event(self.ctx, fix.mmsi, fix.track_id, fix.t, fix.t, fix.lat, fix.lon, 1)
                out.append(ev)
                return out + self._lone_now(fix, prev)
        if not fix.jump or prev is None:
            return out
        runs = self.runs.get(key)
        if runs is None:
            runs = self.runs[key] = JumpRuns(self.cfg.min_jumps, self.cfg.window_s, self.cfg.max_quiet_s)
        jump = _live_jump(fix, prev)
        lone, ep = runs.add(jump)
        out += self._jumps(lone)
        if ep is not None:
            out.append(ep.event(self.ctx, fix.mmsi, fix.track_id))
        elif runs.pending:
            heapq.heappush(self.heap, (jump.t + self.cfg.window_s, key))
        return out

    def _lone_now(self, fix: LiveFix, prev: tuple[float, float] | None) -> list[Event]:
        if not fix.jump or prev is None:
            return []
        return self._jumps([_live_jump(fix, prev)])

    def advance(self, now_s: float) -> list[Event]:
        """Report the held jumps that can no longer become part of a conflict at time `now_s`."""
        out: list[Event] = []
        heap = self.heap
        while heap and heap[0][0] < now_s:
            _, key = heapq.heappop(heap)
            out += self._jumps(self.runs[key].release(now_s))
        return out

    def flush(self) -> list[Event]:
        out = [
            _invalid_event(self.ctx, int(e[5]), self.track_ids[key], e[0], e[3], e[1], e[2], int(e[4]))
            for key, e in self.invalid.items()
        ]
        for runs in self.runs.values():
            out += self._jumps(runs.release_all())
        self.heap.clear()
        return out


def _live_jump(fix: LiveFix, prev: tuple[float, float]) -> Jump:
    return Jump(
        fix.mmsi,
        fix.track_id,
        fix.t,
        fix.lat,
        fix.lon,
        fix.dt_s,
        fix.dist_m,
        fix.implied_kn,
        prev[0],
        prev[1],
    )
