"""Map layers besides tracks and zones: the coverage of the node's configured radar sites."""

from __future__ import annotations

import logging
import math

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from seawatch.api.auth import require
from seawatch.errors import SeawatchError
from seawatch.node.node import Node

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


@router.get("/layers/coverage", response_model=CoverageOut, summary="Radar sites and their range")
def coverage(request: Request) -> CoverageOut:
    from seawatch.sources.sensors import load_sensors

    node: Node = request.app.state.node
    sites: list[SensorSite] = []
    for feed in node.settings.feeds:
        if feed.sensors is None:
            continue
        try:
            config = load_sensors(feed.sensors)
        except (SeawatchError, OSError) as exc:  # the feed itself reports it; the layer stays usable
            log.warning("coverage: feed %s sensors unreadable: %s", feed.name, exc)
            continue
        for site in config.radars:
            if math.isfinite(site.lat) and math.isfinite(site.lon):
                sites.append(
                    SensorSite(
                        id=site.id,
                        kind="radar",
                        feed=feed.name,
                        lat=site.lat,
                        lon=site.lon,
                        range_m=site.range_m,
                    )
                )
    return CoverageOut(sites=sites)
