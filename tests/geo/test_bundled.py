"""The geography shipped in the package is the shared data set's, so detection gives the same answers
with or without ../shared/data (which only tests read)."""

from __future__ import annotations

import gzip

import polars as pl

from seawatch.geo.bundled import LAND_FILES, PORTS_FILE, ZONES_FILE, bundled_path
from seawatch.geo.ports import load_ports
from tests.shared import require_shared


def test_bundled_land_is_natural_earth_byte_for_byte() -> None:
    for name in LAND_FILES:
        shared = require_shared("natural-earth-marine", name)
        assert gzip.decompress(bundled_path(name).read_bytes()) == gzip.decompress(shared.read_bytes())


def test_bundled_ports_are_the_world_port_index() -> None:
    shared = require_shared("ports", "nga_wpi_UpdatedPub150.csv.gz")
    bundled = load_ports(bundled_path(PORTS_FILE))
    full = load_ports(shared)
    assert len(bundled.names) == len(full.names) > 3000
    assert bundled.names == full.names
    assert (bundled.lat == full.lat).all() and (bundled.lon == full.lon).all()
    columns = pl.read_csv(bundled_path(PORTS_FILE), infer_schema_length=0).columns
    assert "UN/LOCODE" in columns  # the simulator finds ports by LOCODE


def test_bundled_files_carry_their_attribution() -> None:
    text = bundled_path("ATTRIBUTION.md").read_text(encoding="utf-8")
    for name in (*LAND_FILES, PORTS_FILE, ZONES_FILE):
        assert f"`{name}`" in text
    assert "public domain" in text and "ODbL" in text
