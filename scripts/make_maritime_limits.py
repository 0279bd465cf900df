"""Rebuild `seawatch/geo/data/us_maritime_limits_caribbean_gulf.geojson.gz` from the shared data set.

Run: `python scripts/make_maritime_limits.py` (needs ../shared/data or SEAWATCH_SHARED_DATA).
NOAA's U.S. Maritime Limits and Boundaries (public domain) hold LINES: the 200 nm EEZ limit and treaty
boundaries, the 24 nm contiguous zone, the 12 nm territorial sea. The map only needs the outer two, for
Puerto Rico / USVI and the Gulf, clipped to the Caribbean / Gulf box and simplified to ~200 m.
Beyond the US lines: Natural Earth's maritime indicator lines (public domain) in the same box, the EEZ
boundaries between the Caribbean states (median lines, treaty lines, disputed lines, 200 nm limits):
indicative, as Natural Earth says, for orientation on the wall map.
"""

from __future__ import annotations

import gzip
import json

import shapely

from seawatch.geo.bundled import MARITIME_LIMITS_FILE, bundled_path
from seawatch.geo.land import read_geojson
from seawatch.shared_data import shared_data_path

REGIONS = {"Puerto Rico and U.S. Virgin Islands", "Atlantic Coast and Gulf of Mexico"}
BOX = shapely.box(-100.0, 5.0, -55.0, 35.0)  # lon/lat, the box of the bundled 1:10m land
SIMPLIFY_DEG = 0.002  # ~200 m: far below what a wall map at Caribbean scale shows
DECIMALS = 4  # ~10 m


def _kind(props: dict[str, object]) -> str | None:
    if props.get("EEZ") == 1.0:
        return "eez"
    if props.get("CZ") == 1.0:
        return "contiguous_zone"
    return None  # the territorial sea is the bundled zones layer's job


def build() -> dict[str, object]:
    source = read_geojson(
        shared_data_path("us-maritime-limits-noaa", "us_maritime_limits_and_boundaries.geojson.gz")
    )
    features = []
    for feature in source["features"]:
        props = feature.get("properties") or {}
        kind = _kind(props)
        if kind is None or props.get("REGION") not in REGIONS:
            continue
        line = shapely.intersection(shapely.geometry.shape(feature["geometry"]), BOX)
        line = shapely.set_precision(line.simplify(SIMPLIFY_DEG, preserve_topology=False), 10**-DECIMALS)
        if line.is_empty:
            continue
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "id": str(props.get("BOUND_ID") or props.get("OBJECTID")),
                    "kind": kind,
                    "boundary": props.get("FEAT_TYPE") == "Maritime Boundary",  # a treaty line
                    "region": props.get("REGION"),
                    "legal_authority": props.get("LEGAL_AUTH") or None,
                },
                "geometry": shapely.geometry.mapping(line),
            }
        )
    features += _natural_earth_lines()
    features.sort(key=lambda f: (f["properties"]["kind"], f["properties"]["id"]))  # type: ignore[index]
    return {
        "type": "FeatureCollection",
        "attribution": "U.S. Maritime Limits and Boundaries, NOAA Office of Coast Survey (public domain);"
        " Caribbean EEZ boundaries (indicative): Natural Earth maritime indicator lines (public domain)",
        "features": features,
    }


NE_KINDS = {
    "Marine Indicator Median": "median line",
    "Marine Indicator Treaty": "treaty line",
    "Marine Indicator Disputed": "disputed line",
    "Marine Indicator 200 mi nl": "200 nm limit",
}


def _natural_earth_lines() -> list[dict[str, object]]:
    source = read_geojson(
        shared_data_path("natural-earth-marine", "ne_10m_admin_0_boundary_lines_maritime_indicator.geojson")
    )
    out: list[dict[str, object]] = []
    for n, feature in enumerate(source["features"]):
        props = feature.get("properties") or {}
        what = NE_KINDS.get(str(props.get("featurecla")))
        line = shapely.intersection(shapely.geometry.shape(feature["geometry"]), BOX)
        if what is None or line.is_empty:
            continue
        line = shapely.set_precision(line.simplify(SIMPLIFY_DEG, preserve_topology=False), 10**-DECIMALS)
        if line.is_empty or line.geom_type not in ("LineString", "MultiLineString"):
            continue
        out.append(
            {
                "type": "Feature",
                "properties": {
                    "id": f"ne-{props.get('note') or n}",
                    "kind": "eez",
                    "boundary": what != "200 nm limit",
                    "region": f"Caribbean and neighbours (Natural Earth, indicative {what})",
                    "legal_authority": None,
                },
                "geometry": shapely.geometry.mapping(line),
            }
        )
    return out


def main() -> None:
    text = json.dumps(build(), separators=(",", ":"))
    # mtime=0: the same input gives the same bytes
    bundled_path(MARITIME_LIMITS_FILE).write_bytes(gzip.compress(text.encode(), compresslevel=9, mtime=0))


if __name__ == "__main__":
    main()
