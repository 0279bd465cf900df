"""Load or stream any mix of inputs by sniffing their format (`-` is stdin)."""

from __future__ import annotations

import logging
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from seawatch.errors import InputError
from seawatch.sources.formats import FormatSpec, Item, LoadResult, detect_format, format_names, read_head
from seawatch.sources.sensors import SensorConfig

log = logging.getLogger(__name__)

__all__ = ["LoadResult", "iter_inputs", "load_inputs", "resolve_input"]


def _stdin_to_file() -> Path:
    """Spool stdin to a temporary file so that every format can sniff and load it."""
    with tempfile.NamedTemporaryFile(prefix="seawatch-stdin-", suffix=".dat", delete=False) as tmp:
        while chunk := sys.stdin.buffer.read(1 << 20):
            tmp.write(chunk)
    return Path(tmp.name)


def resolve_input(path: str | Path) -> tuple[Path, FormatSpec]:
    """Check that an input exists and find its format; raises InputError (one line) otherwise."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"input not found: {p}")
    if p.is_dir():
        raise InputError(f"input is a directory, not a file: {p}")
    try:
        head = read_head(p)
    except OSError as exc:
        raise InputError(f"cannot read {p}: {exc.strerror or exc}") from exc
    spec = detect_format(p, head)
    if spec is None:
        known = ", ".join(format_names())
        raise InputError(f"unknown input format: {p} (known: {known})")
    return p, spec


def _paths(paths: Sequence[str | Path]) -> list[tuple[str, Path, bool]]:
    out = []
    for path in paths:
        if str(path) == "-":
            out.append(("-", _stdin_to_file(), True))
        else:
            out.append((str(path), Path(path), False))
    return out


def load_inputs(paths: Sequence[str | Path], sites: SensorConfig | None = None) -> LoadResult:
    """Load every input whole into columns (positions, statics), with rejects and counts; `sites`: the
    sensor sites given by the caller (radar inputs also read a `sensors.toml` beside them)."""
    results = []
    for name, path, is_temp in _paths(paths):
        try:
            p, spec = resolve_input(path)
            log.info("loading %s as %s", name, spec.name)
            results.append(spec.load(p, sites))
        finally:
            if is_temp:
                path.unlink(missing_ok=True)
    return LoadResult.concat(results)


def iter_inputs(paths: Sequence[str | Path], sites: SensorConfig | None = None) -> Iterator[Item]:
    """Stream every input in turn as observations, statics and rejects (`sites` as in `load_inputs`)."""
    resolved = []
    for path in paths:  # fail on a missing input before yielding anything
        if str(path) != "-":
            resolved.append(resolve_input(path))
    for path in paths:
        if str(path) == "-":
            tmp = _stdin_to_file()
            try:
                p, spec = resolve_input(tmp)
                yield from spec.iterate(p, sites)
            finally:
                tmp.unlink(missing_ok=True)
        else:
            p, spec = resolved.pop(0)
            yield from spec.iterate(p, sites)
