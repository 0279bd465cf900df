"""Alert panel and per-user profile bodies (`/api/alerts`, `/api/me/profile`)."""

from __future__ import annotations

from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from seawatch.api.models import SeaEvent

MAX_PROFILE_KEYS = 64
MAX_PROFILE_VALUE_BYTES = 4096
PROFILE_KEY_PATTERN = r"^[a-z][a-z0-9_.-]{0,63}$"


class AlertStateIn(BaseModel):
    """`acknowledged` (seen, being handled), `dismissed` (needs a reason), or `open` again."""

    model_config = ConfigDict(extra="forbid")
    state: Literal["acknowledged", "dismissed", "open"]
    reason: str | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _reason_for_dismissal(self) -> AlertStateIn:
        if self.reason is not None:
            self.reason = self.reason.strip() or None
        if self.state == "dismissed" and (self.reason is None or len(self.reason) < 3):
            raise ValueError("reason: a dismissal needs a reason (at least 3 characters)")
        return self


class AlertStateOut(BaseModel):
    event_id: str
    state: Literal["acknowledged", "dismissed", "open"]
    reason: str | None = None
    by: str | None = None
    at: float | None = Field(default=None, description="when it was set (epoch s, wall clock)")


class VesselName(BaseModel):
    mmsi: int
    name: str | None = None
    callsign: str | None = None
    imo: int | None = None
    ship_type: int | None = None


class VesselsOut(BaseModel):
    vessels: list[VesselName]


class AlertOut(SeaEvent):
    """An event (the `seawatch detect` JSON shape) with what operators did with it and who it is."""

    state: AlertStateOut
    vessels: list[VesselName] = Field(default_factory=list, description="identities of the MMSIs involved")


class AlertsOut(BaseModel):
    alerts: list[AlertOut]


class ProfileIn(BaseModel):
    """Keys to set; a null value removes the key."""

    model_config = ConfigDict(extra="forbid")
    values: dict[str, Any] = Field(max_length=MAX_PROFILE_KEYS)

    @field_validator("values")
    @classmethod
    def _small(cls, values: dict[str, Any]) -> dict[str, Any]:
        import re

        for key, value in values.items():
            if not re.fullmatch(PROFILE_KEY_PATTERN, key):
                raise ValueError(f"key {key!r}: lower-case letters, digits, _ . - (at most 64)")
            if len(orjson.dumps(value)) > MAX_PROFILE_VALUE_BYTES:
                raise ValueError(f"key {key!r}: value over {MAX_PROFILE_VALUE_BYTES} bytes of JSON")
        return values


class ProfileOut(BaseModel):
    user: str
    values: dict[str, Any]
