"""Map layers besides tracks and zones: the coverage of the node's radar sites (configured or simulated),
the maritime limits (EEZ, contiguous zone) and the fine (harbour-zoom) land bundled with the package."""

from __future__ import annotations

import functools
import itertools
import logging
import math
from typing import Literal

import numpy as np
import shapely
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from seawatch.api.auth import require
from seawatch.api.models import LinesGeometry
from seawatch.api.problems import FieldError
from seawatch.api.responses import JSON
from seawatch.api.schemas import parse_bbox
from seawatch.errors import SeawatchError
from seawatch.geo.bundled import MARITIME_LIMITS_FILE, bundled_path
from seawatch.geo.fine_land import ATTRIBUTION as FINE_LAND_ATTRIBUTION
from seawatch.geo.fine_land import GRID, fine_land
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


class LandPolygon(BaseModel):
    type: Literal["Polygon"]
    coordinates: list[list[list[float]]]


class LandFeature(BaseModel):
    type: Literal["Feature"] = "Feature"
    properties: dict[str, str]
    geometry: LandPolygon


class FineLandOut(BaseModel):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    covered: bool = Field(
        description="the whole bbox lies where fine land is bundled (else there is none or only part of it:"
        " draw the Natural Earth base map there)"
    )
    attribution: str
    features: list[LandFeature] = Field(
        description="land polygons clipped to the bbox (tiles: fill, no stroke)"
    )


MAX_LAND_BBOX_DEG = 2.0  # a view at zoom 12 on a 4K wall screen is ~1.3° wide; the page asks from zoom 12 up
LAND_DECIMALS = round(-math.log10(GRID))


def _land_features(polygons: list[shapely.Geometry]) -> list[dict[str, object]]:
    if not polygons:
        return []
    _, coords, (ring_offsets, poly_offsets) = shapely.to_ragged_array(polygons)
    rings = np.split(np.round(coords, LAND_DECIMALS), ring_offsets[1:-1])
    return [
        {
            "type": "Feature",
            "properties": {},
            "geometry": {"type": "Polygon", "coordinates": [r.tolist() for r in rings[start:end]]},
        }
        for start, end in itertools.pairwise(poly_offsets)
    ]


@router.get(
    "/layers/land",
    response_class=JSON,
    response_model=FineLandOut,
    summary="Fine land polygons (OpenStreetMap) in a bbox, for harbour zoom: Caribbean, Gulf of Mexico,"
    " US east coast",
    responses={422: {"description": "missing or bad bbox, or wider than 2° (problem+json)"}},
)
def land(bbox: str = Query(description="minlon,minlat,maxlon,maxlat (at most 2° a side)")) -> JSON:
    box = parse_bbox(bbox)
    if box is None:
        raise FieldError("bbox", "required: minlon,minlat,maxlon,maxlat")
    if box[2] - box[0] > MAX_LAND_BBOX_DEG or box[3] - box[1] > MAX_LAND_BBOX_DEG:
        raise FieldError("bbox", f"at most {MAX_LAND_BBOX_DEG:g}° a side (fine land is for harbour zoom)")
    fine = fine_land()
    body = {
        "type": "FeatureCollection",
        "covered": fine.covers(*box),
        "attribution": FINE_LAND_ATTRIBUTION,
        "features": _land_features(fine.clipped(*box)),
    }
    return JSON(body)


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
