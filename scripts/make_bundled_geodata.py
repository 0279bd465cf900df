"""Rebuild the geography bundled in `seawatch/geo/data/` from the shared data set (a maintainer's tool).

Run: `python scripts/make_bundled_geodata.py` (needs ../shared/data or SEAWATCH_SHARED_DATA).
- `caribbean_zones.geojson`: OSM country areas including the ~12 nm territorial sea, simplified to ~10 km
  by the geo-maps project: coarse near their edges. © OpenStreetMap contributors, ODbL 1.0.
- the Natural Earth land files, copied byte for byte (public domain);
- the NGA World Port Index reduced to the five columns Seawatch reads (public domain).
"""

from __future__ import annotations

import gzip
import json
import shutil

import polars as pl
import shapely

from seawatch.geo.bundled import LAND_FILES, PORTS_FILE, ZONES_FILE, bundled_path
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


WPI_COLUMNS = ["Main Port Name", "UN/LOCODE", "Country Code", "Latitude", "Longitude"]


def main() -> None:
    bundled_path(ZONES_FILE).write_text(json.dumps(build(), separators=(",", ":")), encoding="utf-8")
    for name in LAND_FILES:
        shutil.copyfile(shared_data_path("natural-earth-marine", name), bundled_path(name))
    wpi = pl.read_csv(shared_data_path("ports", "nga_wpi_UpdatedPub150.csv.gz"), infer_schema_length=0)
    csv = wpi.select(WPI_COLUMNS).write_csv()
    # mtime=0: the same input gives the same bytes (the land cache and git diffs stay quiet)
    bundled_path(PORTS_FILE).write_bytes(gzip.compress(csv.encode("utf-8"), compresslevel=9, mtime=0))


if __name__ == "__main__":
    main()
