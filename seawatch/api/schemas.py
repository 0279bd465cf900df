"""Request bodies and query parsing for the API (validated; errors name the field)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from seawatch.api.problems import FieldError
from seawatch.model import SensorKind
from seawatch.timeutil import parse_utc


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class WatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mmsi: int = Field(ge=100_000_000, le=999_999_999)
    name: str | None = Field(default=None, max_length=200)
    reason: str | None = Field(default=None, max_length=1000)


class SightingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    time: datetime | None = None  # default: now
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    mmsi: int | None = Field(default=None, ge=100_000_000, le=999_999_999)
    sog_kn: float | None = Field(default=None, ge=0, le=100)
    cog_deg: float | None = Field(default=None, ge=0, lt=360)
    name: str | None = Field(default=None, max_length=200)
    notes: str | None = Field(default=None, max_length=2000)

    def epoch(self) -> float:
        when = self.time or datetime.now(UTC)
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return when.timestamp()


class ObservationIn(BaseModel):
    """One observation for `POST /api/observations` (what `seawatch ingest` sends)."""

    model_config = ConfigDict(extra="forbid")
    time: datetime
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    sensor: SensorKind = SensorKind.AIS
    source: str = Field(default="ingest", max_length=200)
    mmsi: int | None = Field(default=None, ge=0, le=999_999_999)
    target_ref: str | None = Field(default=None, max_length=200)
    sog_kn: float | None = Field(default=None, ge=0, le=102.3)
    cog_deg: float | None = Field(default=None, ge=0, le=360)
    heading_deg: float | None = Field(default=None, ge=0, le=360)


class StaticIn(BaseModel):
    """One AIS static / voyage report (types 5, 24, 19) for `POST /api/observations`: the name, call
    sign and ship type the vessel dossier shows."""

    model_config = ConfigDict(extra="forbid")
    time: datetime | None = None
    mmsi: int = Field(ge=0, le=999_999_999)
    msg_type: Literal[5, 19, 24] = 5
    source: str = Field(default="ingest", max_length=200)
    shipname: str | None = Field(default=None, max_length=120)
    callsign: str | None = Field(default=None, max_length=20)
    imo: int | None = Field(default=None, ge=0, le=9_999_999_999)
    ship_type: int | None = Field(default=None, ge=0, le=65_535)  # archives extend AIS 0-99 (e.g. 1001+)
    to_bow: int | None = Field(default=None, ge=0, le=1023)
    to_stern: int | None = Field(default=None, ge=0, le=1023)
    to_port: int | None = Field(default=None, ge=0, le=63)
    to_starboard: int | None = Field(default=None, ge=0, le=63)
    draught: float | None = Field(default=None, ge=0, le=25.5)
    destination: str | None = Field(default=None, max_length=120)


class ObservationsIn(BaseModel):
    """Observations and AIS static reports; committed in time order (a static report after the
    positions of the same time, as files are read)."""

    model_config = ConfigDict(extra="forbid")
    observations: list[ObservationIn] = Field(default_factory=list, max_length=10_000)
    statics: list[StaticIn] = Field(default_factory=list, max_length=10_000)


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user: str = Field(min_length=1, max_length=64)
    ttl_days: float | None = Field(default=None, gt=0, le=3650, description="default: api_token_ttl_days")
    label: str | None = Field(default=None, max_length=100, description="what the token is for")


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=64)
    role: Literal["viewer", "operator", "analyst", "admin"]
    password: str | None = Field(default=None, min_length=8, max_length=256)


def parse_bbox(value: str | None, field: str = "bbox") -> tuple[float, float, float, float] | None:
    if value is None or value == "":
        return None
    parts = value.split(",")
    if len(parts) != 4:
        raise FieldError(field, "expected minlon,minlat,maxlon,maxlat")
    try:
        lon0, lat0, lon1, lat1 = (float(p) for p in parts)
    except ValueError:
        raise FieldError(field, "coordinates must be numbers") from None
    if not (-180 <= lon0 <= lon1 <= 180 and -90 <= lat0 <= lat1 <= 90):
        raise FieldError(field, "need -180 <= minlon <= maxlon <= 180 and -90 <= minlat <= maxlat <= 90")
    return lon0, lat0, lon1, lat1


def parse_time(value: str | None, field: str) -> datetime | None:
    if value is None or value == "":
        return None
    try:
        return parse_utc(value)
    except ValueError:
        raise FieldError(field, "not an ISO 8601 time (e.g. 2020-06-30T12:00:00Z)") from None
