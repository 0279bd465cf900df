"""Map layers besides tracks and zones: the coverage of the node's radar sites (configured or simulated)
and the maritime limits (EEZ, contiguous zone) bundled with the package."""

from __future__ import annotations

import functools
import logging
import math
from typing import Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from seawatch.api.auth import require
from seawatch.api.models import LinesGeometry
from seawatch.errors import SeawatchError
from seawatch.geo.bundled import MARITIME_LIMITS_FILE, bundled_path
from seawatch.geo.land import read_geojson
from seawatch.node.node import Node
from seawatch.node.settings import FeedSettings

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api", dependencies=[Depends(require("viewer"))])


class SensorSite(BaseModel):
    id: str
    kind: str
    feed: str
    lat: float
    lon: float
    range_m: float


class CoverageOut(BaseModel):
    sites: list[SensorSite]


class LimitLineProps(BaseModel):
    id: str
    kind: Literal["eez", "contiguous_zone"]
    boundary: bool  # a treaty line with a neighbour rather than a unilateral limit
    region: str
    legal_authority: str | None


class LimitLine(BaseModel):
    type: Literal["Feature"] = "Feature"
    properties: LimitLineProps
    geometry: LinesGeometry


class MaritimeLimitsOut(BaseModel):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    attribution: str
    features: list[LimitLine]


@functools.cache
def _maritime_limits() -> MaritimeLimitsOut:
    return MaritimeLimitsOut.model_validate(read_geojson(bundled_path(MARITIME_LIMITS_FILE)))


@router.get(
    "/layers/maritime-limits",
    response_model=MaritimeLimitsOut,
    summary="EEZ and contiguous-zone limit lines (NOAA: Puerto Rico, USVI, Gulf of Mexico) and the"
    " Caribbean states' EEZ boundaries (Natural Earth, indicative)",
)
def maritime_limits() -> MaritimeLimitsOut:
    return _maritime_limits()


def _radar_sites(feed: FeedSettings) -> list[SensorSite]:
    """The radar sites of one feed: its sensors file, or for a `sim` feed its scenario's radars."""
    from seawatch.node.sites import feed_sites

    try:
        config = feed_sites(feed)
    except (SeawatchError, OSError) as exc:  # the feed itself reports it; the layer stays usable
        log.warning("coverage: feed %s sites unreadable: %s", feed.name, exc)
        return []
    found = [(r.id, r.lat, r.lon, r.range_m) for r in config.radars]
    return [
        SensorSite(id=site_id, kind="radar", feed=feed.name, lat=lat, lon=lon, range_m=range_m)
        for site_id, lat, lon, range_m in found
        if math.isfinite(lat) and math.isfinite(lon)
    ]


@router.get("/layers/coverage", response_model=CoverageOut, summary="Radar sites and their range")
def coverage(request: Request) -> CoverageOut:
    node: Node = request.app.state.node
    return CoverageOut(sites=[site for feed in node.settings.feeds for site in _radar_sites(feed)])
