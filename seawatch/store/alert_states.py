"""What operators did with each alert: acknowledged, or dismissed with a reason (one current state per
event; every change is also written to the audit log by the API). Alerts are listed ranked: alerts
before notices, then newest first, each with its state and the names of the vessels involved."""

from __future__ import annotations

import json
import time
from typing import Any

from seawatch.store.base import ALERT_STATES, AlertQuery
from seawatch.store.connection import SqliteDb, rows_in

_SEVERITY = "json_extract(e.json, '$.severity')"
_VESSEL_SELECT = "SELECT mmsi, shipname, callsign, imo, ship_type FROM vessels"
_VESSEL_KEYS = ("mmsi", "name", "callsign", "imo", "ship_type")


class SqliteAlertStates(SqliteDb):
    def set_alert_state(
        self, event_id: str, state: str, reason: str | None, actor: str
    ) -> dict[str, Any] | None:
        """Record `state` for the event (`open` clears it); None when no such event is stored."""
        if state not in ALERT_STATES:
            raise ValueError(f"alert state {state!r}: expected one of {', '.join(ALERT_STATES)}")
        now = time.time()
        with self._tx() as db:
            if db.execute("SELECT 1 FROM events WHERE event_id=?", (event_id,)).fetchone() is None:
                return None
            db.execute(
                "INSERT INTO alert_states (event_id, state, reason, actor, t) VALUES (?,?,?,?,?)"
                " ON CONFLICT(event_id) DO UPDATE SET state=excluded.state, reason=excluded.reason,"
                " actor=excluded.actor, t=excluded.t",
                (event_id, state, reason, actor, now),
            )
        return _state(event_id, state, reason, actor, now)

    def alert_states(self, event_ids: list[str]) -> dict[str, dict[str, Any]]:
        select = "SELECT event_id, state, reason, actor, t FROM alert_states"
        return {r[0]: _state(*r) for r in rows_in(self._reader(), select, "event_id", event_ids)}

    def ranked_alerts(self, query: AlertQuery) -> list[dict[str, Any]]:
        """Event JSON with `origin`, `state` and `vessels` (name, call sign, IMO, ship type by MMSI),
        alerts before notices, newest first."""
        clauses: list[str] = []
        params: list[Any] = []
        if query.severity is not None:
            clauses.append(f"{_SEVERITY} = ?")
            params.append(query.severity)
        if query.since_s is not None:
            clauses.append("e.end >= ?")
            params.append(query.since_s)
        if query.until_s is not None:
            clauses.append("e.start <= ?")
            params.append(query.until_s)
        if query.states:
            states = [s for s in query.states if s != "open"]
            test = [f"s.state IN ({','.join('?' * len(states))})"] if states else []
            if "open" in query.states:
                test.append("s.state IS NULL OR s.state = 'open'")
            clauses.append("(" + " OR ".join(test) + ")")
            params.extend(states)
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        sql = (
            "SELECT e.json, e.origin_node, s.state, s.reason, s.actor, s.t FROM events e"
            f" LEFT JOIN alert_states s ON s.event_id = e.event_id {where}"
            f" ORDER BY CASE {_SEVERITY} WHEN 'alert' THEN 0 ELSE 1 END, e.start DESC LIMIT ?"
        )
        reader = self._reader()
        out = []
        for doc, origin, state, reason, actor, t in reader.execute(sql, (*params, int(query.limit))):
            obj = json.loads(doc)
            obj["origin"] = origin
            obj["state"] = _state(obj["id"], state or "open", reason, actor, t)
            out.append(obj)
        mmsis = sorted({int(m) for o in out for m in o.get("mmsi") or []} | _identified(out))
        vessels = self._vessel_names(mmsis)
        for obj in out:
            ids = [int(m) for m in obj.get("mmsi") or []] + sorted(_identified([obj]))
            obj["vessels"] = [vessels.get(m, {"mmsi": m}) for m in ids]
        return out

    def search_vessels(self, text: str, limit: int = 20) -> list[dict[str, Any]]:
        """Vessels whose name or call sign contains `text`, or whose MMSI or IMO starts with it."""
        like = "%" + text.upper().replace("%", "").replace("_", "") + "%"
        prefix = text.replace("%", "").replace("_", "") + "%"
        rows = self._reader().execute(
            f"{_VESSEL_SELECT} WHERE upper(shipname) LIKE ?"
            " OR upper(callsign) LIKE ? OR CAST(mmsi AS TEXT) LIKE ? OR CAST(imo AS TEXT) LIKE ?"
            " ORDER BY shipname IS NULL, shipname LIMIT ?",
            (like, like, prefix, prefix, int(limit)),
        )
        return [dict(zip(_VESSEL_KEYS, r, strict=True)) for r in rows]

    def _vessel_names(self, mmsis: list[int]) -> dict[int, dict[str, Any]]:
        rows = rows_in(self._reader(), _VESSEL_SELECT, "mmsi", mmsis)
        return {int(r[0]): dict(zip(_VESSEL_KEYS, r, strict=True)) for r in rows}


def _state(
    event_id: str, state: str, reason: str | None, actor: str | None, t: float | None
) -> dict[str, Any]:
    return {"event_id": event_id, "state": state, "reason": reason, "by": actor, "at": t}


def _identified(objs: list[dict[str, Any]]) -> set[int]:
    """MMSIs that identified a dark target later (details.identified_mmsi)."""
    out = set()
    for o in objs:
        m = (o.get("details") or {}).get("identified_mmsi")
        if isinstance(m, int):
            out.add(m)
    return out
