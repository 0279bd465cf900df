"""Patrol assets: what they are (`AssetConfig`), how ready they are (`Readiness`), where they are.

Frozen pydantic models with units in the names; the node's settings file declares them as `[[assets]]`
tables and the API adds and changes them (every change audited, see `store/assets.py`).

Readiness states: `ready`; `standby` (can sail or fly after `notice_h` hours); `on_task` (tasked on a
target); `maintenance` (down `until` a time, for a `reason`). A maintenance period ends by itself at
`until`: the state in force at a time is `Readiness.at(time)`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

AssetKind = Literal["boat", "aircraft", "helicopter"]
ReadinessState = Literal["ready", "on_task", "standby", "maintenance"]
PositionSource = Literal["ais", "tak", "manual", "base"]
AVAILABLE_STATES = ("ready", "standby")  # may be proposed for an intercept
FLIES = ("aircraft", "helicopter")
MAX_SPEED_KN = {"boat": 80.0, "aircraft": 600.0, "helicopter": 200.0}


def _utc(value: datetime | date | str) -> datetime:
    """Aware UTC datetime of a datetime, ISO text or date (a date means its midnight UTC)."""
    if isinstance(value, str):
        value = (
            datetime.fromisoformat(value.replace("Z", "+00:00"))
            if "T" in value or " " in value
            else date.fromisoformat(value)
        )
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return datetime.combine(value, time(0, 0), tzinfo=UTC)


class Readiness(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    state: ReadinessState = "ready"
    notice_h: float | None = Field(default=None, ge=0.0, le=168.0)  # standby: hours to get under way
    until: datetime | None = None  # maintenance: back in service at this time (UTC)
    reason: str | None = Field(default=None, max_length=500)
    task: str | None = Field(default=None, max_length=200)  # on_task: the track or alert it is on

    @field_validator("until", mode="before")
    @classmethod
    def _until_utc(cls, value: object) -> object:
        return None if value is None else _utc(value)  # type: ignore[arg-type]

    @model_validator(mode="after")
    def _consistent(self) -> Readiness:
        if self.state == "maintenance" and self.until is None:
            raise ValueError("maintenance needs 'until' (when the asset is back in service)")
        if self.state == "standby" and self.notice_h is None:
            raise ValueError("standby needs 'notice_h' (hours of notice)")
        return self

    def at(self, when: datetime) -> Readiness:
        """The readiness in force at `when`: maintenance that has ended reads as ready."""
        if self.state == "maintenance" and self.until is not None and self.until <= when:
            return Readiness(state="ready")
        return self

    def available_at(self, when: datetime) -> bool:
        return self.at(when).state in AVAILABLE_STATES


class AssetPosition(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    lat: float = Field(ge=-90.0, le=90.0)
    lon: float = Field(ge=-180.0, le=180.0)
    time: datetime | None = None
    source: PositionSource = "manual"
    sog_kn: float | None = None
    cog_deg: float | None = None


class AssetConfig(BaseModel):
    """One patrol boat or aircraft, as in a settings file's `[[assets]]` table or `POST /api/assets`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
    name: str = Field(min_length=1, max_length=100)
    kind: AssetKind = "boat"
    home_base: str = Field(default="", max_length=100)
    base_lat: float = Field(ge=-90.0, le=90.0)
    base_lon: float = Field(ge=-180.0, le=180.0)
    max_speed_kn: float = Field(gt=0.0)
    cruise_speed_kn: float = Field(gt=0.0)
    endurance_h: float = Field(gt=0.0, le=240.0)
    fuel_range_nm: float = Field(gt=0.0, le=10_000.0)
    crew: int = Field(default=0, ge=0, le=500)
    mmsi: int | None = Field(default=None, ge=100_000_000, le=999_999_999)  # own AIS gives its position
    tak_uid: str | None = Field(default=None, max_length=200)  # CoT uid of its TAK device
    position: AssetPosition | None = None  # entered by hand (else AIS, TAK, or its base)
    readiness: Readiness = Field(default_factory=Readiness)

    @model_validator(mode="after")
    def _possible(self) -> AssetConfig:
        limit = MAX_SPEED_KN[self.kind]
        if self.max_speed_kn > limit:
            raise ValueError(
                f"max_speed_kn {self.max_speed_kn:g} is impossible for a {self.kind} (> {limit:g} kn)"
            )
        if self.cruise_speed_kn > self.max_speed_kn:
            raise ValueError("cruise_speed_kn must not exceed max_speed_kn")
        if self.fuel_range_nm > self.cruise_speed_kn * self.endurance_h * 1.5:
            raise ValueError(
                f"fuel_range_nm {self.fuel_range_nm:g} is more than endurance_h × cruise_speed_kn allows "
                f"({self.endurance_h:g} h × {self.cruise_speed_kn:g} kn)"
            )
        return self

    @property
    def flies(self) -> bool:
        return self.kind in FLIES


def readiness_board(assets: list[AssetConfig], now: datetime, days: int = 7) -> dict[str, object]:
    """How many of each kind are available (ready or standby) now and on each of the next `days` days.

    An asset counts on a day when it is available at some time in it: maintenance until a time on that
    day counts (it is back that day); an asset on task now counts from tomorrow (tasks last hours)."""
    now = _utc(now)
    kinds = sorted({a.kind for a in assets})
    start = datetime.combine(now.date(), time(0, 0), tzinfo=UTC)
    board_days = []
    for d in range(days + 1):
        day_end = start + timedelta(days=d + 1)
        counts = dict.fromkeys(kinds, 0)
        for a in assets:
            r = a.readiness
            if d == 0:
                ok = r.available_at(now)
            elif r.state == "maintenance":
                ok = r.until is not None and r.until < day_end
            else:
                ok = True
            counts[a.kind] += int(ok)
        board_days.append({"date": (start + timedelta(days=d)).date().isoformat(), "available": counts})
    now_counts = board_days[0]["available"]
    return {
        "time": now.isoformat().replace("+00:00", "Z"),
        "kinds": kinds,
        "totals": {k: sum(1 for a in assets if a.kind == k) for k in kinds},
        "now": now_counts,
        "days": board_days[1:],
    }
