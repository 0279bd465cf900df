"""Alert panel bodies (`/api/alerts`); the per-user profile's are in schemas_profile."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from seawatch.api.models import SeaEvent
from seawatch.api.schemas_profile import ProfileIn, ProfileOut

__all__ = ["ProfileIn", "ProfileOut"]  # the profile's bodies live in schemas_profile


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
