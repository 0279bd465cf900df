"""Registry of input formats: each format module registers a `FormatSpec` when imported.

A spec says how to recognise a file (`sniff(path, head)` on its first bytes, already gunzipped),
how to load it whole into columns (`load(path) -> LoadResult`) and how to stream it
(`iterate(path) -> Iterator[Observation | AisStatic | Rejected]`).

Built-in modules (AIS NMEA, AIS CSV) and the optional ones (`seawatch.sources.radar`,
`seawatch.sources.satellite`) are imported lazily the first time the registry is read, so a
format module can import this one without a cycle.
"""

from __future__ import annotations

import gzip
import importlib
import logging
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from seawatch.model.columns import STATIC_SCHEMA, empty_positions
from seawatch.model.observation import AisStatic, Observation, Rejected

log = logging.getLogger(__name__)

HEAD_BYTES = 8192
BUILTIN_MODULES = ("seawatch.sources.ais_bulk", "seawatch.sources.csv_ais")
OPTIONAL_MODULES = ("seawatch.sources.radar", "seawatch.sources.satellite")


def empty_statics() -> pl.DataFrame:
    return pl.DataFrame(schema=STATIC_SCHEMA)


@dataclass
class LoadResult:
    """A whole input loaded into columns.

    `positions` follows `POSITION_SCHEMA` (extra columns allowed after it), `statics` follows
    `STATIC_SCHEMA`; `counts` holds what happened (`decoded`, `rejected`, `rejected:<reason>`,
    `skipped:<why>`, ...).
    """

    positions: pl.DataFrame = field(default_factory=empty_positions)
    statics: pl.DataFrame = field(default_factory=empty_statics)
    rejects: list[Rejected] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @staticmethod
    def concat(results: list[LoadResult]) -> LoadResult:
        if not results:
            return LoadResult()
        if len(results) == 1:
            return results[0]
        counts: Counter[str] = Counter()
        rejects: list[Rejected] = []
        for res in results:
            counts.update(res.counts)
            rejects.extend(res.rejects)
        positions = pl.concat([r.positions for r in results], how="diagonal_relaxed")
        statics = pl.concat([r.statics for r in results], how="diagonal_relaxed")
        return LoadResult(positions=positions, statics=statics, rejects=rejects, counts=dict(counts))


Item = Observation | AisStatic | Rejected


@dataclass(frozen=True)
class FormatSpec:
    """One input format. `priority`: higher is sniffed first (specific formats before generic ones)."""

    name: str
    sniff: Callable[[Path, bytes], bool]
    load: Callable[[Path], LoadResult]
    iterate: Callable[[Path], Iterator[Item]]
    priority: int = 0
    description: str = ""


_REGISTRY: dict[str, FormatSpec] = {}
_loaded = False


def register_format(spec: FormatSpec) -> None:
    """Add (or replace) a format in the registry."""
    _REGISTRY[spec.name] = spec


def _load_modules() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for name in BUILTIN_MODULES:
        importlib.import_module(name)
    for name in OPTIONAL_MODULES:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            if exc.name != name:  # the module exists but one of its imports failed: say so
                log.warning("format module %s not loaded: %s", name, exc)


def formats() -> list[FormatSpec]:
    """Registered formats, most specific (highest priority) first."""
    _load_modules()
    return sorted(_REGISTRY.values(), key=lambda s: -s.priority)


def get_format(name: str) -> FormatSpec:
    _load_modules()
    return _REGISTRY[name]


def read_head(path: Path, n_bytes: int = HEAD_BYTES) -> bytes:
    """First bytes of a file, gunzipped when it is gzip."""
    with open(path, "rb") as fh:
        head = fh.read(n_bytes)
    if head[:2] == b"\x1f\x8b":
        try:
            with gzip.open(path, "rb") as gz:
                return gz.read(n_bytes)
        except (OSError, EOFError):
            return b""
    return head


def detect_format(path: Path, head: bytes | None = None) -> FormatSpec | None:
    """The first registered format whose sniffer accepts the file, or None."""
    if head is None:
        head = read_head(path)
    for spec in formats():
        try:
            if spec.sniff(path, head):
                return spec
        except Exception:  # a sniffer must never break detection of the others
            log.exception("sniffer of format %s failed on %s", spec.name, path)
    return None


def open_binary(path: Path) -> bytes:
    """Whole content of a plain or gzip file."""
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data
