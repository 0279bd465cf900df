"""Structured chat reports: sent as data, shown in each reader's own language.

Three types, each a closed pydantic model (an undeclared field, a value out of range or a word outside
its list is invalid, so a report means the same thing in every language):
- `contact`: what was seen, where (lat/lon), course, speed, activity, when;
- `assistance`: a request for assistance: what is needed, where, how urgent, persons involved, when;
- `handover`: a contact handed from one nation to another: what, where, course, speed, to whom, why, when.

Every word a reader sees comes from the message catalogues (`seawatch/i18n/locales/<lang>.json`, keys
under `report.`); the report carries only codes, numbers and times. `REPORT_FIELDS` is the federation's
allow-list for the `report` object of a shared chat message (`share/fields.py` declares the same names).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator

What = Literal[
    "go_fast",
    "fishing_vessel",
    "cargo_ship",
    "tanker",
    "passenger_vessel",
    "sailing_vessel",
    "pleasure_craft",
    "semi_submersible",
    "small_boat",
    "unknown",
]
Activity = Literal[
    "transiting",
    "loitering",
    "fishing",
    "drifting",
    "transferring",
    "fleeing",
    "anchored",
    "in_distress",
    "unknown",
]
Need = Literal["interdiction", "search_and_rescue", "medical", "tow", "surveillance", "boarding"]
Urgency = Literal["routine", "priority", "immediate"]
HandoverReason = Literal["leaving_area", "entering_waters", "end_of_patrol", "asset_unavailable"]
WHAT, ACTIVITY, NEED = get_args(What), get_args(Activity), get_args(Need)
URGENCY, HANDOVER_REASON = get_args(Urgency), get_args(HandoverReason)
REPORT_TYPES = ("contact", "assistance", "handover")

Lat = Annotated[float, Field(ge=-90, le=90, description="degrees north, WGS 84")]
Lon = Annotated[float, Field(ge=-180, le=180, description="degrees east, WGS 84")]
Course = Annotated[float, Field(ge=0, lt=360, description="course over ground, degrees true")]
Speed = Annotated[float, Field(ge=0, le=99, description="speed over ground, knots")]
Node = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$", description="a nation's node id")]


class _Report(BaseModel):
    model_config = ConfigDict(extra="forbid")

    time: datetime = Field(description="when it was seen / is needed (ISO 8601 UTC)")
    lat: Lat
    lon: Lon

    @field_validator("time")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("time needs a time zone (e.g. ...Z)")
        return value.astimezone(UTC)


class ContactReport(_Report):
    """What was seen, where, heading where, how fast, doing what, when."""

    type: Literal["contact"]
    what: What
    course_deg: Course | None = None
    speed_kn: Speed | None = None
    activity: Activity = "unknown"
    mmsi: int | None = Field(None, ge=0, le=999_999_999)


class AssistanceRequest(_Report):
    """A request for assistance: what is needed, where, how urgently, for how many persons."""

    type: Literal["assistance"]
    need: Need
    urgency: Urgency = "priority"
    persons: int | None = Field(None, ge=0, le=10_000)


class Handover(_Report):
    """A contact handed over to another nation (who takes it, why), with its last known motion."""

    type: Literal["handover"]
    what: What
    to_node: Node
    reason: HandoverReason
    course_deg: Course | None = None
    speed_kn: Speed | None = None
    mmsi: int | None = Field(None, ge=0, le=999_999_999)


Report = Annotated[ContactReport | AssistanceRequest | Handover, Field(discriminator="type")]
_ADAPTER: TypeAdapter[ContactReport | AssistanceRequest | Handover] = TypeAdapter(Report)

REPORT_FIELDS = (
    "type",
    "time",
    "lat",
    "lon",
    "what",
    "course_deg",
    "speed_kn",
    "activity",
    "mmsi",
    "need",
    "urgency",
    "persons",
    "to_node",
    "reason",
)


def parse_report(data: Any) -> ContactReport | AssistanceRequest | Handover:
    """A report from JSON data; raises pydantic's ValidationError naming the bad field."""
    return _ADAPTER.validate_python(data)


def report_json(report: ContactReport | AssistanceRequest | Handover) -> dict[str, Any]:
    """The report as stored and shared: nulls left out, time as ISO 8601 UTC with a Z."""
    out = report.model_dump(mode="json", exclude_none=True)
    out["time"] = report.time.strftime("%Y-%m-%dT%H:%M:%SZ")
    return out
