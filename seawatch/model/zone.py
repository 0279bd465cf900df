"""Zones: named areas (territorial sea, EEZ, protected area, user-drawn) with optional threshold overrides.

`ZONE_KINDS` is the one list of zone kinds: the detectors (zones files), the API schema (`/api/zones`,
`GET /api/zones/kinds`) and the web page all read it. Older names are accepted through
`ZONE_KIND_ALIASES` and stored under their canonical kind; anything else is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the kinds are read by light commands (detect --print-config) without shapely
    import shapely

# kind -> label shown to people (the page lists them in this order; "custom" is the drawn default)
ZONE_KIND_LABELS: dict[str, str] = {
    "custom": "custom (drawn)",
    "territorial_sea": "territorial sea",
    "contiguous_zone": "contiguous zone",
    "eez": "EEZ",
    "protected_area": "protected area",
    "port": "port area",
}
ZONE_KINDS: tuple[str, ...] = tuple(ZONE_KIND_LABELS)
DEFAULT_ZONE_KIND = "custom"
# names used by earlier versions (zones files, the page, the simulator's scenarios)
ZONE_KIND_ALIASES: dict[str, str] = {"protected": "protected_area", "user": "custom"}


def canonical_zone_kind(kind: object) -> str:
    """The canonical kind for `kind` (an alias is mapped); ValueError naming the known kinds otherwise."""
    if isinstance(kind, str):
        if kind in ZONE_KIND_LABELS:
            return kind
        if kind in ZONE_KIND_ALIASES:
            return ZONE_KIND_ALIASES[kind]
    raise ValueError(f"kind {kind!r} is not one of {', '.join(ZONE_KINDS)}")


@dataclass(frozen=True)
class Zone:
    """A polygon or multipolygon in WGS84 lon/lat.

    `overrides` maps a detector name to thresholds that apply to fixes inside the zone, e.g.
    `{"ais_gap": {"min_gap_s": 3600}}` (`seawatch detect --print-config` lists the names).
    `origin` says where the zone came from ("zones.geojson feature 3") for error messages.
    """

    zone_id: str
    name: str
    kind: str
    geometry: shapely.Geometry = field(compare=False, hash=False)
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict, compare=False, hash=False)
    origin: str = field(default="", compare=False)
