"""Case bodies and answers (`/api/cases`): times are epoch seconds UTC (wall clock)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from seawatch.api.models import ApiModel
from seawatch.cases.model import MAX_NOTE_CHARS, MAX_PARTNERS, MAX_SUMMARY_CHARS, MAX_TITLE_CHARS

CaseStatus = Literal["open", "monitoring", "interdiction", "closed"]
CaseOutcome = Literal[
    "interdicted", "no_violation", "handed_over", "rescued", "lost_contact", "false_alarm", "other"
]
LinkKind = Literal["track", "event", "sighting", "asset", "vessel"]
PartnerList = list[str]


class CaseIn(BaseModel):
    """Open a case: from an alert (`event_id`), a track (`track_id`), a vessel (`mmsi`) or by hand
    (`title`)."""

    model_config = ConfigDict(extra="forbid")
    event_id: str | None = Field(default=None, max_length=200, description="the alert's event id")
    track_id: str | None = Field(default=None, max_length=200, description="a track id")
    mmsi: int | None = Field(
        default=None, ge=100_000_000, le=999_999_999, description="a vessel (its recent tracks are linked)"
    )
    title: str | None = Field(
        default=None, max_length=MAX_TITLE_CHARS, description="default: from the alert/track"
    )
    summary: str | None = Field(default=None, max_length=MAX_SUMMARY_CHARS)
    status: Literal["open", "monitoring", "interdiction"] = "open"
    releasable_to: PartnerList = Field(
        default_factory=list,
        max_length=MAX_PARTNERS,
        description="partner node ids that may see it (default none)",
    )

    @model_validator(mode="after")
    def _one_origin(self) -> CaseIn:
        if sum(x is not None for x in (self.event_id, self.track_id, self.mmsi)) > 1:
            raise ValueError("event_id: give one of event_id, track_id, mmsi")
        if not self.event_id and not self.track_id and not self.mmsi and not (self.title or "").strip():
            raise ValueError("title: a case opened by hand needs a title")
        return self


class CasePatch(BaseModel):
    """Change some of a case's fields; closing needs an outcome. `version`: the case's version the
    change was made on (as read from GET /api/cases/{id}); if the case has changed since, the change is
    refused (409, code stale_version, ctx current_version). Without it the last writer wins."""

    model_config = ConfigDict(extra="forbid")
    version: int | None = Field(
        default=None,
        ge=0,
        description="the case's version this change was made on: 409 stale_version if it has changed"
        " since; omitted, the last writer wins (the page always sends it)",
    )
    title: str | None = Field(default=None, min_length=1, max_length=MAX_TITLE_CHARS)
    summary: str | None = Field(default=None, max_length=MAX_SUMMARY_CHARS)
    status: CaseStatus | None = None
    outcome: CaseOutcome | None = None
    releasable_to: PartnerList | None = Field(default=None, max_length=MAX_PARTNERS)

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True, exclude={"version"})


class LinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: LinkKind
    ref: str = Field(
        min_length=1, max_length=200, description="track id, event id, sighting id, asset id or MMSI"
    )


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=MAX_NOTE_CHARS)


class CaseLink(ApiModel):
    kind: LinkKind
    ref: str
    mmsi: int | None = None
    label: str | None = None
    t: float = Field(description="when it was linked (epoch s)")
    by: str


class CaseNote(ApiModel):
    id: int
    t: float
    author: str
    text: str


class CaseAttachment(ApiModel):
    id: str
    name: str
    media_type: str
    size: int = Field(description="bytes")
    sha256: str
    t: float
    by: str


class TimelineEntry(ApiModel):
    id: int
    t: float
    actor: str
    action: str = Field(description="open, update, link, unlink, note, attach")
    details: dict[str, Any]


class CaseSummary(ApiModel):
    id: str
    title: str
    status: CaseStatus
    outcome: CaseOutcome | None = None
    summary: str
    opened_from: Literal["alert", "track", "vessel", "manual"]
    opened_ref: str | None = None
    releasable_to: list[str]
    origin_node: str = Field(description="'' for this node's cases, else the partner that shared it")
    created_at: float
    created_by: str
    updated_at: float
    version: int
    counts: dict[str, int] = Field(default_factory=dict, description="links by kind, notes, attachments")


class CasesOut(ApiModel):
    cases: list[CaseSummary]


class CaseOut(CaseSummary):
    links: list[CaseLink]
    notes: list[CaseNote]
    attachments: list[CaseAttachment]
    timeline: list[TimelineEntry]


class CaseFeatureProperties(ApiModel):
    kind: Literal["track", "event", "sighting"]
    ref: str = Field(description="track id, event id or sighting id")
    mmsi: int | None = None
    start: str = Field(description="ISO 8601 UTC")
    end: str
    label: str | None = Field(default=None, description="event type, sighting notes")


class CaseFeature(ApiModel):
    type: Literal["Feature"]
    geometry: dict[str, Any] = Field(description="LineString (a track) or Point, lon/lat")
    properties: CaseFeatureProperties


class CaseMap(ApiModel):
    """What the case view draws: the case's tracks (all their positions), events and sightings."""

    type: Literal["FeatureCollection"]
    features: list[CaseFeature]


class CaseVocabulary(ApiModel):
    """The statuses, outcomes, link kinds and attachment types the node accepts."""

    statuses: list[CaseStatus]
    outcomes: list[CaseOutcome]
    link_kinds: list[LinkKind]
    attachment_types: list[str]
    max_attachment_bytes: int
    max_note_chars: int
