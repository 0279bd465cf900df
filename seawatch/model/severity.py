"""How loudly an event asks for a watch officer: `alert` (act now) or `notice` (the quieter list).

The defaults live here so every producer of events (detectors, fusion, the node's sensor watch, truth
files) gives the same answer; `[severity]` in the detection config and a zone's `severity` override
change them (see `seawatch/detect/severity.py`).
"""

from __future__ import annotations

SEVERITIES = ("alert", "notice")

DEFAULT_SEVERITY: dict[str, str] = {
    "dark_target": "alert",
    "speed_anomaly": "alert",  # go-fast
    "watchlist_hit": "alert",
    "encounter": "alert",  # offshore by definition (>= 10 km from any port)
    "rendezvous": "alert",
    "ais_gap": "alert",  # offshore by definition (gap starts >= 10 nm from shore)
    "zone_entry": "notice",  # an `alert` only for a watched zone kind ([severity] watched_zone_kinds)
    "zone_exit": "notice",
    "loitering": "notice",
    "port_visit": "notice",
    "position_jump": "notice",
    "identity_conflict": "notice",
    "sensor_silent": "notice",
}


def default_severity(event_type: str) -> str:
    """The default severity of an event type; an unknown type (e.g. from a newer partner) is a notice."""
    return DEFAULT_SEVERITY.get(event_type, "notice")
