"""Response models of the sharing routes (`share/routes.py`), so `/openapi.json` describes them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ShareStatus(_Closed):
    node: str
    connected: bool
    outbox: int = Field(description="items waiting to be sent")
    partners: list[str]
    stats: dict[str, int]


class SharePolicyOut(_Closed):
    """One partner's sharing agreement, as in the settings file."""

    track_sources: list[str]
    event_types: list[str]
    sightings: bool
    case_messages: bool
    areas: list[dict[str, Any]] = Field(description="GeoJSON geometries")
    strip_fields: list[str]
    fields: list[str] | None = Field(
        description="what is sent of each item's declared fields (names, dotted paths, @roles, *); "
        "null: everything but sensor ids and free text"
    )
    precision_decimals: int | None
    jitter_m: float
    delay_s: float
    may_reshare: bool
    retention_s: float


class ShareAuditRecord(_Closed):
    """One audit row (the only declaration: `share.audit` keeps and exports these)."""

    id: int
    time: str
    action: str
    partner: str | None
    origin: str | None
    seq: int | None
    kind: str | None
    user: str | None
    reason: str | None


class ShareAudit(_Closed):
    records: list[ShareAuditRecord]
    counts: dict[str, int] = Field(description="records per action")


class ReceivedItem(_Closed):
    origin: str
    seq: int
    kind: str
    received: str
    expires: str
    may_reshare: bool
    payload: dict[str, Any]


class ReceivedItems(_Closed):
    items: list[ReceivedItem]
