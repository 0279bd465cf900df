"""The `Store` protocol: everything the node keeps, behind one interface.

The embedded default is `SqliteStore` (SQLite WAL + Parquet history); a PostgreSQL/PostGIS backend
implements the same protocol. Times are tz-aware UTC `datetime` at this boundary, epoch seconds inside.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from seawatch.model import AisStatic, Event, Rejected

if TYPE_CHECKING:
    from seawatch.store.cases import CaseQuery
    from seawatch.store.users import TokenInfo

ROLES = ("viewer", "operator", "analyst", "admin")
# history rows of contacts the live picture did not show (tentative radar tracks): kept for the record,
# left out of the picture at a past time, so replay shows what was live
UNSHOWN_TRACK_PREFIX = "unshown:"


def role_rank(role: str) -> int:
    """viewer < operator < analyst < admin; unknown roles rank below viewer."""
    return ROLES.index(role) if role in ROLES else -1


@dataclass(slots=True)
class TrackState:
    """The latest fused state of one track (what the map shows and the live bus pushes)."""

    track_id: str
    time: datetime
    lat: float
    lon: float
    mmsi: int | None = None
    sog_kn: float | None = None
    cog_deg: float | None = None
    heading_deg: float | None = None
    name: str | None = None
    ship_type: int | None = None
    sources: tuple[str, ...] = ()  # sensor kinds (ais, radar, partner...)
    sensors: tuple[str, ...] = ()  # sensor ids (feed names, radar sites)
    nodes: tuple[str, ...] = ()  # nodes of origin
    dark: bool = False
    # fusion's Kalman uncertainty at `time`, 1 sigma along the worst axis; None when not estimated
    # (a track restored from the store, a partner's track): not stored, a live-only figure
    pos_sigma_m: float | None = None
    vel_sigma_mps: float | None = None


@dataclass(slots=True)
class PositionRow:
    """One position for the history (Parquet) table."""

    t: float  # epoch s UTC
    track_id: str
    mmsi: int | None
    lat: float
    lon: float
    sog_kn: float | None
    cog_deg: float | None
    heading_deg: float | None
    sensor: str
    source: str
    node: str


@dataclass(slots=True)
class IngestBatch:
    """What one pipeline step produced; `Store.write_batch` commits it atomically (the acknowledgement)."""

    positions: list[PositionRow] = field(default_factory=list)
    tracks: list[TrackState] = field(default_factory=list)
    events: list[tuple[Event, str]] = field(default_factory=list)  # (event, origin node)
    statics: list[AisStatic] = field(default_factory=list)
    received: int = 0  # items taken from the queues for this batch
    rejected: int = 0


@dataclass(frozen=True, slots=True)
class PartnerItem:
    """What a partner's shared item became in the store, so it can be deleted when its retention ends.

    `ref` is the event id for events and `<origin>:<partner track id>` for tracks and sightings;
    `t`/`lat`/`lon` (epoch s, degrees) locate the position row a track or sighting item produced.
    """

    origin: str
    seq: int
    kind: str
    ref: str | None
    t: float | None = None
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True, slots=True)
class User:
    name: str
    role: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class EventQuery:
    types: Sequence[str] = ()
    since: datetime | None = None
    until: datetime | None = None
    bbox: tuple[float, float, float, float] | None = None  # minlon, minlat, maxlon, maxlat
    mmsi: int | None = None
    limit: int = 500


ALERT_STATES = ("open", "acknowledged", "dismissed")


@dataclass(frozen=True, slots=True)
class AlertQuery:
    """Alerts listed ranked (store/alert_states.py)."""

    severity: str | None = None  # alert | notice | None (both)
    states: tuple[str, ...] = ()  # empty: any state
    since_s: float | None = None  # events still running at or after
    until_s: float | None = None  # events started at or before
    limit: int = 300


class Store(Protocol):
    """What a node needs from storage. Every write method commits before returning."""

    def close(self) -> None: ...

    # ingest
    def write_batch(self, batch: IngestBatch) -> int: ...
    def acknowledged(self) -> dict[str, int]: ...
    def compact(self, before: datetime) -> int: ...

    # partner data (federation): noted on arrival, deleted when its releasability retention ends
    def note_partner_items(self, items: Sequence[PartnerItem]) -> None: ...
    def forget_partner_items(self, gone: Sequence[tuple[str, int, str]]) -> list[str]: ...
    def also_reported_by(self, event_id: str, origin: str) -> bool: ...
    def fold_partner_event(self, own_id: str, partner_id: str, origin: str) -> bool: ...

    # picture
    def latest_tracks(self) -> list[TrackState]: ...
    def tracks_at(
        self, at: datetime, max_age_s: float, bbox: tuple[float, float, float, float] | None
    ) -> list[TrackState]: ...
    def track_history(
        self, track_id: str, start: datetime | None, end: datetime | None
    ) -> list[PositionRow]: ...
    def vessel_history(
        self, mmsi: int, start: datetime | None, end: datetime | None
    ) -> list[PositionRow]: ...
    def vessel_identity(self, mmsi: int) -> dict[str, Any] | None: ...
    def identity_changes(self, mmsi: int) -> list[dict[str, Any]]: ...
    def events(self, query: EventQuery) -> list[Event]: ...
    def event_origin(self, event_id: str) -> str | None: ...
    # what operators did with alerts (store/alert_states.py), per-user settings (store/profile.py)
    def set_alert_state(
        self, event_id: str, state: str, reason: str | None, actor: str
    ) -> dict[str, Any] | None: ...
    def alert_states(self, event_ids: list[str]) -> dict[str, dict[str, Any]]: ...
    def ranked_alerts(self, query: AlertQuery) -> list[dict[str, Any]]: ...
    def search_vessels(self, text: str, limit: int = 20) -> list[dict[str, Any]]: ...
    def profile(self, user: str) -> dict[str, Any]: ...
    def update_profile(self, user: str, values: dict[str, Any]) -> dict[str, Any]: ...

    # zones and watchlist (GeoJSON features / plain dicts)
    def zones(self) -> list[dict[str, Any]]: ...
    def zone(self, zone_id: str) -> dict[str, Any] | None: ...
    def put_zone(self, zone_id: str, feature: dict[str, Any]) -> None: ...
    def delete_zone(self, zone_id: str) -> bool: ...
    def watchlist(self) -> list[dict[str, Any]]: ...
    def add_watch(self, entry: dict[str, Any]) -> dict[str, Any]: ...
    def delete_watch(self, entry_id: str) -> bool: ...

    # sightings and audit
    def add_sighting(self, sighting: dict[str, Any]) -> dict[str, Any]: ...
    def sightings(self, limit: int = 100) -> list[dict[str, Any]]: ...
    def audit(self, actor: str, action: str, details: dict[str, Any]) -> None: ...
    def audit_rows(self, limit: int = 100, action: str | None = None) -> list[dict[str, Any]]: ...

    # users, sessions and API tokens
    def add_user(self, name: str, role: str, password_hash: str | None) -> User: ...
    def user(self, name: str) -> User | None: ...
    def users(self) -> list[User]: ...
    def password_hash(self, name: str) -> str | None: ...
    def set_password_hash(self, name: str, password_hash: str) -> None: ...
    def delete_user(self, name: str) -> bool: ...
    def add_token(
        self, token_hash: str, user: str, kind: str, expires_at: datetime | None, label: str | None = None
    ) -> None: ...
    def token_user(self, token_hash: str, now: datetime) -> tuple[User, str] | None: ...
    def delete_token(self, token_hash: str) -> None: ...
    def tokens(self, user: str | None = None) -> list[TokenInfo]: ...
    def revoke_token(self, token_id: str) -> TokenInfo | None: ...
    def revoke_tokens(self, user: str, kind: str | None = None, keep_hash: str | None = None) -> int: ...

    # rejected inputs: counts per source and reason, a bounded sample of the latest per source
    def record_rejects(self, rejects: Sequence[Rejected], per_reason: int = ...) -> None: ...
    def reject_counts(self) -> list[dict[str, Any]]: ...
    def reject_samples(self, limit: int = 200, source: str | None = None) -> list[dict[str, Any]]: ...

    # cases (store/cases.py): each change written with its timeline and audit rows
    def create_case(self, case: dict[str, Any], links: Sequence[dict[str, Any]], actor: str) -> int: ...
    def update_case(self, case_id: str, changes: dict[str, Any], actor: str) -> int | None: ...
    def add_case_links(self, case_id: str, links: Sequence[dict[str, Any]], actor: str) -> int | None: ...
    def remove_case_link(self, case_id: str, kind: str, ref: str, actor: str) -> bool: ...
    def add_case_note(self, case_id: str, text: str, author: str) -> dict[str, Any] | None: ...
    def add_case_attachment(self, case_id: str, meta: dict[str, Any], content: bytes, actor: str) -> bool: ...
    def attachment_path(self, case_id: str, attachment_id: str) -> Path: ...
    def case_row(self, case_id: str) -> dict[str, Any] | None: ...
    def case_links(self, case_id: str) -> list[dict[str, Any]]: ...
    def case_notes(self, case_id: str) -> list[dict[str, Any]]: ...
    def case_attachments(self, case_id: str) -> list[dict[str, Any]]: ...
    def case_timeline(self, case_id: str) -> list[dict[str, Any]]: ...
    def case_changes(self, after_id: int = 0, limit: int = 500) -> list[dict[str, Any]]: ...
    def cases(self, query: CaseQuery) -> list[dict[str, Any]]: ...
    def events_by_id(self, event_ids: Sequence[str]) -> list[Event]: ...
    def track_known(self, track_id: str) -> dict[str, Any] | None: ...
    def sighting(self, sighting_id: str) -> dict[str, Any] | None: ...
    def vessel_tracks(self, mmsi: int) -> list[str]: ...
    def assets(self) -> list[dict[str, Any]]: ...
