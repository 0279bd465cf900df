"""Score detected events against ground truth.

Matching rule (per event type, one-to-one, optimal by the Hungarian method):
a truth event T and a detected event D can match when
1. they have the same `type`;
2. vessels agree: when both list MMSIs, the sets are equal (a two-vessel event needs both vessels);
   when either lists none (dark targets, radar-only tracks), vessels are not compared;
3. times agree: the intervals overlap once each is widened by `time_tolerance_s` (default 900 s);
4. position agrees when vessels were not compared: some position of T within `position_tolerance_m`
   (default 10 km) of some position of D, an event's positions being `lat/lon` and, when its details give
   them, `start_lat/start_lon` and `end_lat/end_lon` (tracks move: one side may report where a go-fast was
   first seen, the other where it was last seen).
Among the admissible pairs, the assignment minimises |Δstart| + |Δend|. Unmatched truth events are misses
(false negatives), unmatched detections false alarms (false positives).
Per type: precision = TP/(TP+FP), recall = TP/(TP+FN) (null when undefined), F1, and the mean / median /
max absolute start and end errors of the matched pairs in seconds.

Alert latency (data time), per matched truth event whose details give `first_contact_s` (the first time a
sensor saw its vessel during the event, written by the simulator): the time the first detected event
about the same object was raised, minus that first contact. "Raised" is an event's
`details.qualified_at_s` (the data time a live node raises it: given by speed_anomaly, dark_target and
port_visit; other types have no latency figure); "the same object" is any detected event sharing a
track id or an MMSI with the matched one (for a radar-only
go-fast, its `dark_target` usually comes before its `speed_anomaly`). Listed per event under `latency`,
with the median and maximum per type.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson
from scipy.optimize import linear_sum_assignment

from seawatch.errors import InputError
from seawatch.model.event import Event
from seawatch.model.observation import Rejected
from seawatch.sim.geodata import haversine_m
from seawatch.timeutil import iso_utc

INFEASIBLE = 1e15


@dataclass(frozen=True)
class MatchRule:
    time_tolerance_s: float = 900.0
    position_tolerance_m: float = 10_000.0

    def admissible(self, t: Event, d: Event) -> bool:
        if t.type != d.type:
            return False
        tol = self.time_tolerance_s
        if d.start.timestamp() > t.end.timestamp() + tol or t.start.timestamp() > d.end.timestamp() + tol:
            return False
        if t.mmsi and d.mmsi:
            return set(t.mmsi) == set(d.mmsi)
        return any(
            float(haversine_m(a_lon, a_lat, b_lon, b_lat)) <= self.position_tolerance_m
            for a_lon, a_lat in positions(t)
            for b_lon, b_lat in positions(d)
        )

    def cost(self, t: Event, d: Event) -> float:
        return abs((t.start - d.start).total_seconds()) + abs((t.end - d.end).total_seconds())


def positions(event: Event) -> list[tuple[float, float]]:
    """(lon, lat) of the event and, when its details give them, of its start and end."""
    out = [(event.lon, event.lat)]
    for prefix in ("start_", "end_"):
        lon, lat = event.details.get(f"{prefix}lon"), event.details.get(f"{prefix}lat")
        if isinstance(lon, int | float) and isinstance(lat, int | float):
            out.append((float(lon), float(lat)))
    return out


def read_events(path: Path | str) -> tuple[list[Event], list[Rejected]]:
    """Events from a JSON-lines file (`-` not supported); bad lines are kept as Rejected."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"events file not found: {p}")
    events: list[Event] = []
    rejects: list[Rejected] = []
    with p.open("rb") as fh:
        for n, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                events.append(Event.from_json(orjson.loads(raw)))
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                rejects.append(
                    Rejected(raw.decode("utf-8", "replace").rstrip("\n"), f"not an event: {exc}", str(p), n)
                )
    return events, rejects


def match(truth: list[Event], detected: list[Event], rule: MatchRule) -> list[tuple[int, int]]:
    """Index pairs (truth, detected) of one type's optimal one-to-one matching."""
    if not truth or not detected:
        return []
    cost = np.full((len(truth), len(detected)), INFEASIBLE)
    for i, t in enumerate(truth):
        for j, d in enumerate(detected):
            if rule.admissible(t, d):
                cost[i, j] = rule.cost(t, d)
    rows, cols = linear_sum_assignment(cost)
    return [(int(i), int(j)) for i, j in zip(rows, cols, strict=True) if cost[i, j] < INFEASIBLE]


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def _errors(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"mean": None, "median": None, "max": None}
    arr = np.abs(np.array(values))
    return {
        "mean": round(float(arr.mean()), 1),
        "median": round(float(np.median(arr)), 1),
        "max": round(float(arr.max()), 1),
    }


def raised_at_s(event: Event) -> float | None:
    """Data time at which an event was (or a live node would have been) raised, when it says so."""
    q = event.details.get("qualified_at_s")
    return float(q) if isinstance(q, int | float) else None


def _about_same_object(a: Event, b: Event) -> bool:
    return bool(set(a.track_ids) & set(b.track_ids)) or bool(set(a.mmsi) & set(b.mmsi))


def _latencies(
    truth: list[Event], detected: list[Event], pairs: list[tuple[int, int]], every: list[Event]
) -> list[dict[str, Any]]:
    out = []
    for i, j in pairs:
        first = truth[i].details.get("first_contact_s")
        if not isinstance(first, int | float):
            continue
        matched = detected[j]
        own = raised_at_s(matched)
        if own is None:
            continue
        related = [  # raised during this episode (an earlier event of the vessel is about another one)
            e for e in every if _about_same_object(matched, e) and (raised_at_s(e) or -1.0) >= first
        ]
        earliest = min([matched, *related], key=lambda e: raised_at_s(e) or own)
        first_s = raised_at_s(earliest) or own
        out.append(
            {
                "truth_start": iso_utc(truth[i].start),
                "sim_vessels": truth[i].details.get("sim_vessels", []),
                "first_contact_s": first,
                "first_alert": earliest.type,
                "first_alert_severity": earliest.severity,
                "latency_s": round(max(first_s - first, 0.0), 1),
                "own_type_latency_s": round(max(own - first, 0.0), 1),
            }
        )
    return out


def score(
    truth: Iterable[Event],
    detected: Iterable[Event],
    rule: MatchRule | None = None,
    types: Iterable[str] | None = None,
) -> dict[str, Any]:
    rule = rule or MatchRule()
    truth_l, det_l = list(truth), list(detected)
    wanted = set(types) if types else {e.type for e in truth_l} | {e.type for e in det_l}
    per_type: dict[str, Any] = {}
    total = {"tp": 0, "fp": 0, "fn": 0}
    for kind in sorted(wanted):
        t_k = [e for e in truth_l if e.type == kind]
        d_k = [e for e in det_l if e.type == kind]
        pairs = match(t_k, d_k, rule)
        tp = len(pairs)
        fp, fn = len(d_k) - tp, len(t_k) - tp
        precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
        f1 = (
            round(2 * precision * recall / (precision + recall), 4)
            if precision is not None and recall is not None and precision + recall > 0
            else None
        )
        per_type[kind] = {
            "truth": len(t_k),
            "detected": len(d_k),
            "tp": tp,
            "fp": fp,
            "fn": fn,
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "start_error_s": _errors([(d_k[j].start - t_k[i].start).total_seconds() for i, j in pairs]),
            "end_error_s": _errors([(d_k[j].end - t_k[i].end).total_seconds() for i, j in pairs]),
        }
        latency = _latencies(t_k, d_k, pairs, det_l)
        if latency:
            per_type[kind]["latency"] = latency
            per_type[kind]["latency_s"] = _errors([x["latency_s"] for x in latency])
        for key in total:
            total[key] += per_type[kind][key]
    overall = {
        **total,
        "precision": _ratio(total["tp"], total["tp"] + total["fp"]),
        "recall": _ratio(total["tp"], total["tp"] + total["fn"]),
    }
    return {
        "types": per_type,
        "overall": overall,
        "rule": {
            "time_tolerance_s": rule.time_tolerance_s,
            "position_tolerance_m": rule.position_tolerance_m,
        },
    }


def format_table(report: dict[str, Any]) -> str:
    def fmt(v: Any) -> str:
        return "-" if v is None else (f"{v:.3f}" if isinstance(v, float) else str(v))

    head = (
        "type", "truth", "det", "tp", "fp", "fn", "precision", "recall", "f1", "start_err_s", "end_err_s",
        "latency_med_s", "latency_max_s",
    )  # fmt: skip
    rows = [head]
    for kind, r in report["types"].items():
        rows.append(
            (
                kind,
                str(r["truth"]),
                str(r["detected"]),
                str(r["tp"]),
                str(r["fp"]),
                str(r["fn"]),
                fmt(r["precision"]),
                fmt(r["recall"]),
                fmt(r["f1"]),
                fmt(r["start_error_s"]["median"]),
                fmt(r["end_error_s"]["median"]),
                fmt(r.get("latency_s", {}).get("median")),
                fmt(r.get("latency_s", {}).get("max")),
            )
        )
    o = report["overall"]
    rows.append(
        (
            "ALL",
            str(o["tp"] + o["fn"]),
            str(o["tp"] + o["fp"]),
            str(o["tp"]),
            str(o["fp"]),
            str(o["fn"]),
            fmt(o["precision"]),
            fmt(o["recall"]),
            "",
            "",
            "",
            "",
            "",
        )
    )
    widths = [max(len(r[c]) for r in rows) for c in range(len(head))]
    lines = [
        "  ".join(
            cell.ljust(w) if c == 0 else cell.rjust(w)
            for c, (cell, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    rule = report["rule"]
    lines.append(
        "(latency: first alert about the object after its first sensor contact, data time; "
        f"errors are medians of matched pairs; time tolerance {rule['time_tolerance_s']:.0f} s, "
        f"position tolerance {rule['position_tolerance_m']:.0f} m when vessels are unknown)"
    )
    return "\n".join(lines)
