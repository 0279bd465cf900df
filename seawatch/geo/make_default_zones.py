"""Rebuild geo/data/caribbean_zones.geojson from the shared OpenStreetMap maritime borders.

Run: `python -m seawatch.geo.make_default_zones` (needs ../shared/data/osm-maritime-borders).
The polygons are OSM country areas including the ~12 nm territorial sea, simplified to ~10 km by the
geo-maps project: coarse near their edges. © OpenStreetMap contributors, ODbL 1.0.
"""

from __future__ import annotations

import json
from pathlib import Path

import shapely

from seawatch.geo.land import read_geojson
from seawatch.geo.zones import DEFAULT_ZONES_ATTRIBUTION
from seawatch.shared_data import shared_data_path

CARIBBEAN = {
    "AIA": "Anguilla",
    "ATG": "Antigua and Barbuda",
    "ABW": "Aruba",
    "BHS": "Bahamas",
    "BRB": "Barbados",
    "BLZ": "Belize",
    "BES": "Caribbean Netherlands",
    "CYM": "Cayman Islands",
    "COL": "Colombia",
    "CRI": "Costa Rica",
    "CUB": "Cuba",
    "CUW": "Curaçao",
    "DMA": "Dominica",
    "DOM": "Dominican Republic",
    "GRD": "Grenada",
    "GLP": "Guadeloupe",
    "GTM": "Guatemala",
    "GUY": "Guyana",
    "HTI": "Haiti",
    "HND": "Honduras",
    "JAM": "Jamaica",
    "MTQ": "Martinique",
    "MEX": "Mexico",
    "MSR": "Montserrat",
    "NIC": "Nicaragua",
    "PAN": "Panama",
    "PRI": "Puerto Rico",
    "BLM": "Saint Barthélemy",
    "KNA": "Saint Kitts and Nevis",
    "LCA": "Saint Lucia",
    "MAF": "Saint Martin",
    "VCT": "Saint Vincent and the Grenadines",
    "SXM": "Sint Maarten",
    "SUR": "Suriname",
    "TTO": "Trinidad and Tobago",
    "TCA": "Turks and Caicos Islands",
    "VEN": "Venezuela",
    "VGB": "British Virgin Islands",
    "VIR": "United States Virgin Islands",
}


def _valid(geometry: dict[str, object]) -> dict[str, object]:
    geom = shapely.make_valid(shapely.geometry.shape(geometry))
    if geom.geom_type == "GeometryCollection":
        geom = shapely.union_all([g for g in shapely.get_parts(geom) if g.geom_type.endswith("Polygon")])
    return dict(shapely.geometry.mapping(geom))


def build() -> dict[str, object]:
    source = read_geojson(
        shared_data_path("osm-maritime-borders", "geo-maps_countries-maritime-10km.geojson")
    )
    features = []
    for feature in source["features"]:
        code = (feature.get("properties") or {}).get("A3")
        if code in CARIBBEAN:
            features.append(
                {
                    "type": "Feature",
                    "id": f"ts-{code.lower()}",
                    "properties": {
                        "id": f"ts-{code.lower()}",
                        "name": f"{CARIBBEAN[code]} territorial waters",
                        "kind": "territorial_sea",
                        "iso_a3": code,
                    },
                    "geometry": _valid(feature["geometry"]),
                }
            )
    features.sort(key=lambda f: str(f["id"]))
    return {
        "type": "FeatureCollection",
        "attribution": DEFAULT_ZONES_ATTRIBUTION,
        "license": "ODbL-1.0",
        "features": features,
    }


def main() -> None:
    out = Path(__file__).parent / "data" / "caribbean_zones.geojson"
    out.write_text(json.dumps(build(), separators=(",", ":")), encoding="utf-8")


if __name__ == "__main__":
    main()
