"""Exports: tracks, positions, events, zones and sightings for a window, an area and filters, as
GeoJSON, KML, CSV or GeoParquet, streamed as byte blocks (`export_bytes`).

`query.py` checks what is asked, `read.py` reads it (a node's store or input files), `tables.py`
shapes each kind as columns plus geometry, `writers.py` writes the formats.
"""

from __future__ import annotations

from collections.abc import Iterator

from seawatch.export.query import EXTENSIONS, FORMATS, KINDS, MEDIA_TYPES, Area, ExportQuery, build_query
from seawatch.export.read import ExportSource, FileSource, StoreSource
from seawatch.export.tables import chunks
from seawatch.export.writers import write


def export_bytes(source: ExportSource, query: ExportQuery, fmt: str) -> Iterator[bytes]:
    """The export as byte blocks (the first block is produced only when iterated)."""
    return write(fmt, query.kind, chunks(source, query))


__all__ = [
    "EXTENSIONS",
    "FORMATS",
    "KINDS",
    "MEDIA_TYPES",
    "Area",
    "ExportQuery",
    "ExportSource",
    "FileSource",
    "StoreSource",
    "build_query",
    "export_bytes",
]
