"""Response models: what every route answers, declared once so `/openapi.json` describes it.

The page's TypeScript types are generated from `/openapi.json` (`seawatch/web/typegen`), so a field
renamed here breaks `npm run check` instead of the map. Routes that render large bodies themselves
(orjson, pre-encoded track features) still declare their model; `tests/api/test_contract.py` checks
the real answers against these models, undeclared fields included (`extra="forbid"`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypeAliasType

from seawatch.model import EVENT_TYPES
from seawatch.model.severity import SEVERITIES
from seawatch.store.base import ROLES


class ApiModel(BaseModel):
    """Closed objects: an undeclared field is a contract break (the tests validate real answers)."""

    model_config = ConfigDict(extra="forbid")


IsoTime = Annotated[str, Field(description="ISO 8601 UTC, e.g. 2020-06-30T12:00:00Z")]
# Named aliases become named schemas, so the page gets `roleValues` / `eventTypeValues` arrays from them.
Role = TypeAliasType("Role", Literal["viewer", "operator", "analyst", "admin"])
assert Role.__value__.__args__ == ROLES, "Role must list store.base.ROLES, lowest first"
Severity = TypeAliasType("Severity", Literal["alert", "notice"])
assert Severity.__value__.__args__ == SEVERITIES, "Severity must list model.severity.SEVERITIES"
EventType = TypeAliasType("EventType", Annotated[str, Field(json_schema_extra={"enum": list(EVENT_TYPES)})])
Position = Annotated[list[float], Field(min_length=2, max_length=3, description="[lon, lat(, alt)]")]


class FieldProblem(ApiModel):
    field: str = Field(description="dotted path of the offending field, e.g. observations.0.lat")
    message: str
    type: str | None = Field(
        None,
        description="error type, e.g. string_too_long, string_too_short, missing; a refusal's stable code,"
        " e.g. unknown_partner, not_node_ids, asset_exists, last_admin",
    )
    ctx: dict[str, str | int | float | bool] | None = Field(None, description="its values, e.g. max_length")


class Problem(ApiModel):
    """Every error answer (application/problem+json, RFC 9457)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldProblem] | None = Field(
        None, description="422: each invalid field; 409 and other refusals: one entry (code as type, ctx)"
    )


# -- tracks --------------------------------------------------------------------------------------------
class PointGeometry(ApiModel):
    type: Literal["Point"]
    coordinates: Position


class TrackProperties(ApiModel):
    track_id: str
    mmsi: int | None
    name: str | None
    ship_type: int | None
    sources: list[str] = Field(description="sensor kinds: ais, radar, satellite, sighting, partner")
    sensors: list[str] = Field(description="sensor ids: feed names, radar sites")
    nodes: list[str] = Field(description="nodes the track came from")
    dark: bool = Field(description="no AIS identity")
    sog_kn: float | None
    cog_deg: float | None
    heading_deg: float | None
    time: IsoTime
    pos_sigma_m: float | None = Field(
        None,
        description="position uncertainty of the fused estimate, 1 sigma along the worst axis, m"
        " (null: not estimated, e.g. a past picture or a partner's track)",
    )
    vel_sigma_mps: float | None = Field(
        None,
        description="velocity uncertainty of the fused estimate, 1 sigma along the worst axis, m/s"
        " (null: not estimated)",
    )


class TrackFeature(ApiModel):
    type: Literal["Feature"]
    id: str
    geometry: PointGeometry
    properties: TrackProperties


class TrackCollection(ApiModel):
    type: Literal["FeatureCollection"]
    time: IsoTime | None = Field(description="the picture's time (latest data time when live)")
    max_age_s: float = Field(description="tracks not updated within this many seconds are left out")
    features: list[TrackFeature]


class LineGeometry(ApiModel):
    type: Literal["LineString"]
    coordinates: list[Position]


class MultiLineGeometry(ApiModel):
    type: Literal["MultiLineString"]
    coordinates: list[list[Position]]


class PolygonGeometry(ApiModel):
    type: Literal["Polygon"]
    coordinates: list[list[Position]] = Field(description="rings: the outer one first, then holes")


class MultiPolygonGeometry(ApiModel):
    type: Literal["MultiPolygon"]
    coordinates: list[list[list[Position]]]


# GeoJSON geometries told apart by `type`, as @types/geojson (and so Leaflet) declares them
AreaGeometry = Annotated[PolygonGeometry | MultiPolygonGeometry, Field(discriminator="type")]
LinesGeometry = Annotated[LineGeometry | MultiLineGeometry, Field(discriminator="type")]


class HistoryProperties(ApiModel):
    track_id: str
    times: list[IsoTime] = Field(description="one per vertex")
    sog_kn: list[float | None] = Field(description="one per vertex")
    sensors: list[str] = Field(description="sensor kind of each vertex")
    nodes: list[str]
    count: int


class HistoryFeature(ApiModel):
    """A track's positions as one LineString, with per-vertex times and speeds."""

    type: Literal["Feature"]
    id: str
    geometry: LineGeometry
    properties: HistoryProperties


# -- events --------------------------------------------------------------------------------------------
class WhyCheck(ApiModel):
    measured: str = Field(description="the detail measured, e.g. median_sog_kn")
    value: Any
    op: Literal[">=", "<="]
    threshold: str = Field(description="the parameter it was held against")
    limit: float | None = Field(description="null: no limit")


class Why(ApiModel):
    """Why the event fired (detect/explain.py)."""

    rule: str
    checks: list[WhyCheck]


class EventDetails(BaseModel):
    """What fired the event. Each detector adds its own keys (free-form beyond those listed); the
    listed ones are those the page reads, typed."""

    model_config = ConfigDict(extra="allow")
    duration_s: float | None = None
    max_sog_kn: float | None = None
    median_sog_kn: float | None = None
    distance_m: float | None = None
    distance_to_nearest_ais_m: float | None = Field(None, description="dark target: nearest AIS vessel")
    nearest_ais_mmsi: int | None = None
    implied_sog_kn: float | None = None
    zone_id: str | None = None
    zone_name: str | None = None
    zone_kind: str | None = None
    name: str | None = None
    reason: str | None = None
    why: Why | None = None
    also_reported_by: list[str] | None = Field(None, description="partners that reported it too")
    withheld: list[str] | None = Field(None, description="fields a sharing partner's policy withheld")


class SeaEvent(ApiModel):
    id: str = Field(description="stable: a live event that grows keeps its id")
    type: EventType
    severity: Severity = Field(description="alert: act now; notice: the quieter list")
    mmsi: list[int]
    start: IsoTime
    end: IsoTime
    lat: float
    lon: float
    details: EventDetails
    params: dict[str, Any] = Field(description="the thresholds that fired it")
    track_ids: list[str] = Field(default_factory=list, description="absent when empty")
    origin: str | None = Field(None, description="node that detected it")


# -- vessels -------------------------------------------------------------------------------------------
class VesselIdentity(ApiModel):
    mmsi: int
    shipname: str | None
    callsign: str | None
    imo: int | None
    ship_type: int | None
    length_m: float | None
    destination: str | None
    first_seen: float | None = Field(description="epoch s UTC")
    last_seen: float | None = Field(description="epoch s UTC")


class IdentityChange(ApiModel):
    t: float | None = Field(description="epoch s UTC")
    field: str
    old: str
    new: str
    source: str | None


class WatchEntry(ApiModel):
    id: str
    mmsi: int | None
    name: str | None
    reason: str | None
    created_by: str | None
    created_at: float = Field(description="epoch s UTC")


class VesselDossier(ApiModel):
    mmsi: int
    identity: VesselIdentity | None
    identity_changes: list[IdentityChange]
    track: TrackFeature | None = Field(description="the live track carrying this MMSI")
    history: HistoryFeature | None
    events: list[SeaEvent]
    watchlist: list[WatchEntry]


# -- sightings (zones: api/schemas_zones.py) ----------------------------------------------------------
class Sighting(ApiModel):
    """A patrol's report as stored and pushed live."""

    id: str
    t: float = Field(description="epoch s UTC")
    lat: float
    lon: float
    mmsi: int | None
    sog_kn: float | None
    cog_deg: float | None
    name: str | None
    notes: str | None
    reported_by: str | None


class ObservationsAccepted(ApiModel):
    accepted: int
    batch: int = Field(description="the ingest batch that committed them")


# -- users, audit, health --------------------------------------------------------------------------------
class LoginResult(ApiModel):
    name: str
    role: Role


class Me(ApiModel):
    name: str
    role: Role
    via: str = Field(description="how the caller authenticated: session or token")


class UserOut(ApiModel):
    name: str
    role: Role
    created_at: IsoTime


class NewUser(ApiModel):
    name: str
    role: Role


class NewToken(ApiModel):
    user: str
    token: str = Field(description="shown once; the node keeps only its hash")


class AuditRow(ApiModel):
    id: int
    t: float = Field(description="epoch s UTC")
    actor: str
    action: str
    details: dict[str, Any]


class RejectOut(ApiModel):
    source: str
    reason: str
    raw: str = Field(description="the input, cut to 500 characters")
    line_no: int | None
    t: float | None = Field(description="when it was rejected (epoch s)")


class Acknowledged(ApiModel):
    batches: int
    received: int
    positions: int
    events: int
    rejected: int


class FeedHealth(ApiModel):
    kind: str
    running: bool
    received: int
    decoded: int
    rejected: int
    duplicate: int = Field(description="AIS reports another receiver delivered first (within the window)")


class SourceCounts(ApiModel):
    received: int
    decoded: int
    rejected: int
    duplicate: int = Field(description="AIS reports another receiver delivered first (within the window)")


class Health(ApiModel):
    status: Literal["ok"]
    node_id: str
    schema_version: int | None
    data_time: IsoTime | None
    live_tracks: int
    acknowledged: Acknowledged
    feeds: dict[str, FeedHealth]
    sources: dict[str, SourceCounts]
    gauges: dict[str, float]
