"""Registry of input formats: each format module registers a `FormatSpec` when imported.

A spec says how to recognise a file (`sniff(path, head)` on its first bytes, already gunzipped),
how to load it whole into columns (`load(path, sites) -> LoadResult`) and how to stream it
(`iterate(path, sites) -> Iterator[Observation | AisStatic | Rejected]`). `sites` are the sensor sites
given by the caller (`--sensors FILE`, a feed's `sensors`), passed explicitly; the radar loader merges
them over any `sensors.toml` beside the file, the other formats do not need them.

The built-in formats are known before their modules are imported (`KNOWN_FORMATS`): each one's
sniffer lives in a module that is cheap to import (`sniffers`, or a loader that needs only polars),
and its loader module (pyais, pyproj...) is imported only once a file is recognised as that format,
so loading a CSV never imports the NMEA decoder. Every format's module is part of the package: one
that fails to import is an error, never a format silently skipped.
"""

from __future__ import annotations

import gzip
import importlib
import logging
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import polars as pl

from seawatch.model.columns import STATIC_SCHEMA, empty_positions
from seawatch.model.observation import AisStatic, Observation, Rejected
from seawatch.sources.sensors import SensorConfig

log = logging.getLogger(__name__)

HEAD_BYTES = 8192


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


class Loader(Protocol):
    """Loads a whole file; `sites`: the sensor sites given by the caller (None: none given)."""

    def __call__(self, path: Path, sites: SensorConfig | None = None) -> LoadResult: ...


class Streamer(Protocol):
    """Streams a file's items; `sites` as for `Loader`."""

    def __call__(self, path: Path, sites: SensorConfig | None = None) -> Iterator[Item]: ...


@dataclass(frozen=True)
class FormatSpec:
    """One input format. `priority`: higher is sniffed first (specific formats before generic ones)."""

    name: str
    sniff: Callable[[Path, bytes], bool]
    load: Loader
    iterate: Streamer
    priority: int = 0
    description: str = ""


@dataclass(frozen=True)
class KnownFormat:
    """A built-in format: its sniffer ("module:function", cheap to import) and the module that registers
    its `FormatSpec` when imported (imported only when a file is recognised as this format)."""

    name: str
    sniffer: str
    module: str
    priority: int


# in sniffing order (highest priority first; ties in this order): specific formats before generic CSV
KNOWN_FORMATS = (
    KnownFormat("ais_nmea", "seawatch.sources.sniffers:sniff_nmea", "seawatch.sources.ais_bulk", 20),
    KnownFormat("radar-nmea", "seawatch.sources.sniffers:sniff_radar", "seawatch.sources.radar", 20),
    KnownFormat(
        "satellite-detections",
        "seawatch.sources.satellite:sniff_satellite",
        "seawatch.sources.satellite",
        20,
    ),
    KnownFormat("ais_csv", "seawatch.sources.csv_ais:sniff_csv", "seawatch.sources.csv_ais", 10),
)
_KNOWN = {known.name: known for known in KNOWN_FORMATS}

_REGISTRY: dict[str, FormatSpec] = {}


def register_format(spec: FormatSpec) -> None:
    """Add (or replace) a format in the registry."""
    _REGISTRY[spec.name] = spec


def _import_known(known: KnownFormat) -> FormatSpec | None:
    """The registered spec of a built-in format, importing its module first if needed."""
    if known.name not in _REGISTRY:
        importlib.import_module(known.module)  # a broken module fails loudly, never skips its format
    return _REGISTRY.get(known.name)


def _known_sniffer(known: KnownFormat) -> Callable[[Path, bytes], bool]:
    module, _, function = known.sniffer.partition(":")
    sniff: Callable[[Path, bytes], bool] = getattr(importlib.import_module(module), function)
    return sniff


def format_names() -> list[str]:
    """Names of the formats, most specific first, without importing any loader."""
    others = [s for s in _REGISTRY.values() if s.name not in _KNOWN]
    entries = [(k.name, k.priority) for k in KNOWN_FORMATS] + [(s.name, s.priority) for s in others]
    return [name for name, _ in sorted(entries, key=lambda e: -e[1])]


def formats() -> list[FormatSpec]:
    """Registered formats, most specific (highest priority) first (imports every built-in loader)."""
    for known in KNOWN_FORMATS:
        _import_known(known)
    return [_REGISTRY[name] for name in format_names() if name in _REGISTRY]


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
    """The first format whose sniffer accepts the file (only its loader module is imported), or None.

    Built-in formats are always recognised by their `KNOWN_FORMATS` sniffer, whether or not their
    module is imported yet, so the answer never depends on what was imported before."""
    if head is None:
        head = read_head(path)
    Candidate = tuple[int, str, Callable[[Path, bytes], bool] | None, KnownFormat | None]
    candidates: list[Candidate] = [(k.priority, k.name, None, k) for k in KNOWN_FORMATS]
    candidates += [(s.priority, s.name, s.sniff, None) for s in _REGISTRY.values() if s.name not in _KNOWN]
    for _, name, sniff, entry in sorted(candidates, key=lambda c: -c[0]):
        try:
            if sniff is None:
                assert entry is not None
                sniff = _known_sniffer(entry)
            if not sniff(path, head):
                continue
        except Exception:  # a sniffer must never break detection of the others
            log.exception("sniffer of format %s failed on %s", name, path)
            continue
        spec = _import_known(entry) if entry is not None else _REGISTRY[name]
        if spec is not None:
            return spec
    return None


TRUNCATED_REASON = "truncated_input"


def read_input(path: Path) -> tuple[bytes, Rejected | None]:
    """Whole content of a plain or gzip file. A gzip file that is cut short or damaged gives what
    came before the damage, up to its last whole line, and a `Rejected` (`truncated_input`, at the
    line after those) saying what is missing: the good lines are not lost to the bad end."""
    data = path.read_bytes()
    if data[:2] != b"\x1f\x8b":
        return data, None
    text, problem = gunzip(data)
    if problem is None:
        return text, None
    whole = text[: text.rfind(b"\n") + 1]
    partial = text[len(whole) :]
    line_no = whole.count(b"\n") + 1
    raw = partial[:200].decode("ascii", "backslashreplace")
    return whole, Rejected(raw, f"{TRUNCATED_REASON}: {problem}; the file ends here", str(path), line_no)


def gunzip(data: bytes) -> tuple[bytes, str | None]:
    """Every gzip member of `data` decompressed, and what stopped it early (None: nothing)."""
    parts: list[bytes] = []
    while data:
        stream = zlib.decompressobj(wbits=31)
        try:
            parts.append(stream.decompress(data))
        except zlib.error as exc:
            return b"".join(parts), f"damaged gzip data ({exc})"
        if not stream.eof:
            parts.append(stream.flush())
            return b"".join(parts), "the gzip stream is cut short"
        data = stream.unused_data.lstrip(b"\x00")  # members may follow; padding zeros are harmless
        if data and data[:2] != b"\x1f\x8b":
            return b"".join(parts), "bytes after the gzip stream that are not gzip"
    return b"".join(parts), None


def open_binary(path: Path) -> bytes:
    """Whole content of a plain or gzip file; a damaged gzip file is an `InputError` (callers that
    keep the good part use `read_input`)."""
    data, cut = read_input(path)
    if cut is not None:
        from seawatch.errors import InputError

        raise InputError(f"{path}: {cut.reason.split(': ', 1)[1]} (line {cut.line_no})")
    return data
