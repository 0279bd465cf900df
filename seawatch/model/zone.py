"""Zones: named areas (territorial sea, EEZ, protected area, user-drawn) with optional threshold overrides."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import shapely

ZONE_KINDS = ("territorial_sea", "contiguous_zone", "eez", "protected", "custom")


@dataclass(frozen=True)
class Zone:
    """A polygon or multipolygon in WGS84 lon/lat.

    `overrides` maps a detector name to thresholds that apply to fixes inside the zone, e.g.
    `{"ais_gap": {"min_gap_s": 3600}}` (see seawatch/detect/defaults.toml for the names).
    `origin` says where the zone came from ("zones.geojson feature 3") for error messages.
    """

    zone_id: str
    name: str
    kind: str
    geometry: shapely.Geometry = field(compare=False, hash=False)
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict, compare=False, hash=False)
    origin: str = field(default="", compare=False)
