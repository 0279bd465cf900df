"""Request and response bodies of the operations routes (`api/routes_ops.py`) and of their live messages:
assets, the readiness board, alerts ranked by interceptability. Plans, taskings and best intercepts are
declared once in `ops/` (`InterceptPlan`, `Tasking`, `BestIntercept`) and used here as they are."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from seawatch.api.models import SeaEvent
from seawatch.ops.assets import AssetConfig, AssetPosition, Readiness
from seawatch.ops.planning import Tasking
from seawatch.ops.ranking import BestIntercept


class AssetOut(AssetConfig):
    """An asset with its readiness now, where it is, and its tasking if it is on one."""

    readiness: Readiness  # always answered (a default only when an asset is configured)
    readiness_now: Readiness
    where: AssetPosition
    tasking: Tasking | None = None


class BoardDay(BaseModel):
    date: str
    available: dict[str, int]


class BoardOut(BaseModel):
    time: str
    kinds: list[str]
    totals: dict[str, int]
    now: dict[str, int]
    days: list[BoardDay]


class LogRow(BaseModel):
    t: float
    actor: str
    action: str
    details: dict[str, Any]


class RankedAlert(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event: SeaEvent
    intercept: BestIntercept


class InterceptUpdate(BestIntercept):
    """A live alert's best intercept changed (WebSocket `intercept` message)."""

    event_id: str


class TargetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    cog_deg: float = Field(ge=0, lt=360)
    sog_kn: float = Field(ge=0, le=120)
    time: datetime | None = None
    pos_sigma_m: float = Field(default=0.0, ge=0, le=100_000, description="position error, 1 sigma (m)")
    vel_sigma_mps: float = Field(default=0.0, ge=0, le=50, description="velocity error, 1 sigma (m/s)")


class TaskIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    track_id: str = Field(min_length=1, max_length=100)
    event_id: str | None = Field(default=None, max_length=200)


class TakReject(BaseModel):
    reason: str
    sample: str  # the message's first 200 characters


class TakStatus(BaseModel):
    feeds: list[str]
    connected: dict[str, bool] = Field(description="TAK server (TCP/TLS) feeds: connected now")
    sent: dict[str, int]
    dropped: int
    received: int
    reject_counts: dict[str, int]
    rejects: list[TakReject]
