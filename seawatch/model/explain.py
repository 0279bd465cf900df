"""Why an event fired, machine-readable: `details["why"] = {"rule": text, "checks": [...]}`.

Each check is `{"measured": detail key, "value": v, "op": ">=" | "<=", "threshold": param key,
"limit": x}` built from the event's own `details` (what was measured) and `params` (what was in force),
so the alert panel can say e.g. "median speed 31.2 kn >= 25 kn for 14 min >= 10 min" without knowing
each detector. A null limit means "no limit" (JSON has no infinity).
"""

from __future__ import annotations

from typing import Any

from seawatch.model.event import Event

# event type -> (rule in words, [(measured detail, op, threshold param)])
RULES: dict[str, tuple[str, list[tuple[str, str, str]]]] = {
    "speed_anomaly": (
        "median speed over a sliding window at or above the go-fast threshold, sustained",
        [("median_sog_kn", ">=", "min_sog_kn"), ("duration_s", ">=", "min_duration_s")],
    ),
    "ais_gap": (
        "no AIS position for a long time, starting offshore",
        [("duration_s", ">=", "min_gap_s"), ("shore_distance_m", ">=", "min_shore_distance_m")],
    ),
    "encounter": (
        "two vessels close together, slow, far from port, for a long time",
        [
            ("median_distance_m", "<=", "max_distance_m"),
            ("median_sog_kn", "<=", "max_sog_kn"),
            ("duration_s", ">=", "min_duration_s"),
            ("port_distance_m", ">=", "min_port_distance_m"),
        ],
    ),
    "rendezvous": (
        "two vessels close together away from any port (not moored at one berth)",
        [
            ("median_distance_m", "<=", "max_distance_m"),
            ("duration_s", ">=", "min_duration_s"),
            ("port_distance_m", ">=", "min_port_distance_m"),
        ],
    ),
    "loitering": (
        "slow for a long time far from shore",
        [
            ("median_sog_kn", "<=", "max_sog_kn"),
            ("duration_s", ">=", "min_duration_s"),
            ("shore_distance_m", ">=", "min_shore_distance_m"),
        ],
    ),
    "port_visit": (
        "entered a port's radius, stopped there, left",
        [("entry_distance_m", "<=", "entry_distance_m"), ("stop_s", ">=", "min_stop_s")],
    ),
    "position_jump": (
        "a position implying an impossible speed",
        [("implied_sog_kn", ">=", "min_implied_sog_kn"), ("distance_m", ">=", "min_distance_m")],
    ),
    "identity_conflict": (
        "one identity at two places at once, or an invalid MMSI",
        [("jumps", ">=", "min_jumps")],
    ),
    "dark_target": (
        "a radar or satellite contact with no AIS vessel near it",
        [("distance_to_nearest_ais_m", ">=", "dark_distance_m")],
    ),
    "zone_entry": ("entered a zone", []),
    "zone_exit": ("left a zone", []),
    "watchlist_hit": ("the vessel matches the watchlist", []),
    "sensor_silent": ("a sensor stopped reporting", []),
}


def explain(event: Event) -> dict[str, Any]:
    rule, checks = RULES.get(event.type, (event.type, []))
    out: list[dict[str, Any]] = []
    for measured, op, threshold in checks:
        if measured not in event.details or threshold not in event.params:
            continue
        out.append(
            {
                "measured": measured,
                "value": event.details[measured],
                "op": op,
                "threshold": threshold,
                "limit": event.params[threshold],
            }
        )
    return {"rule": rule, "checks": out}
