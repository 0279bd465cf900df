"""The compiled (numba) loops of the bulk decoder give exactly what its numpy code gives: same batch
(every column's values and dtype), same slow lines, rejects and counts, on every real AIS file, on
the same lines with receiver trailers removed, over many input slices, and on damaged lines."""

from __future__ import annotations

import glob
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from seawatch.sources import ais_fast, ais_kernels
from seawatch.sources.formats import open_binary
from tests.shared import require_shared
from tests.sources.ais_helpers import strip_trailer

pytestmark = pytest.mark.skipif(not ais_kernels.AVAILABLE, reason="numba not installed")


def _real_files() -> list[Path]:
    root = require_shared()
    files = []
    for pattern in ("ais-vectors-*/**/*", "ais-nmea-tagblock-*/*"):
        for name in glob.glob(str(root / pattern), recursive=True):
            p = Path(name)
            if p.is_file() and p.suffix not in (".json", ".md"):
                files.append(p)
    assert files
    return sorted(files)


def _decode(data: bytes, kernels: bool, monkeypatch: pytest.MonkeyPatch, **kw: Any) -> ais_fast.FastResult:
    monkeypatch.setattr(ais_fast, "USE_KERNELS", kernels)
    return ais_fast.decode_lines(data, **kw)


def _same_column(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)) or a.dtype != b.dtype:
            return False
        return bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))
    return bool(type(a) is type(b) and a == b)


def _assert_same(data: bytes, monkeypatch: pytest.MonkeyPatch, **kw: Any) -> int:
    fast = _decode(data, True, monkeypatch, **kw)
    ref = _decode(data, False, monkeypatch, **kw)
    fb, rb = fast.batch, ref.batch
    assert np.array_equal(fb.line, rb.line)
    assert np.array_equal(fb.msg_type, rb.msg_type)
    assert np.array_equal(fb.t, rb.t, equal_nan=True)
    assert np.array_equal(fb.station_code, rb.station_code)
    assert fb.stations == rb.stations
    assert len(fb.groups) == len(rb.groups)
    for fg, rg in zip(fb.groups, rb.groups, strict=True):
        assert (fg.msg_type, fg.nbits, fg.chunk, fg.order) == (rg.msg_type, rg.nbits, rg.chunk, rg.order)
        assert np.array_equal(fg.rows, rg.rows)
        for name in rg.order:
            assert _same_column(fg.columns[name], rg.columns[name]), (fg.msg_type, name)
    assert fast.slow_lines == ref.slow_lines
    assert fast.slow_spans == ref.slow_spans
    assert fast.counts == ref.counts
    assert fast.n_lines == ref.n_lines
    assert fast.rejects.tuples(data) == ref.rejects.tuples(data)
    assert list(ais_fast.iter_dicts(fb)) == list(ais_fast.iter_dicts(rb))
    return len(fb)


@pytest.mark.parametrize("enforce_checksum", [True, False])
def test_every_real_file_as_is(monkeypatch: pytest.MonkeyPatch, enforce_checksum: bool) -> None:
    decoded = 0
    for path in _real_files():
        data = open_binary(path)
        decoded += _assert_same(data, monkeypatch, enforce_checksum=enforce_checksum, max_age_lines=100)
    assert decoded > 1000


def test_every_real_file_without_trailers_in_small_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    lines: list[str] = []
    for path in _real_files():
        lines += [strip_trailer(x) for x in open_binary(path).decode("ascii", "replace").splitlines()]
    data = ("\n".join(lines) + "\n").encode("ascii", "replace")
    monkeypatch.setattr(ais_fast, "CHUNK_BYTES", 1 << 14)  # many slices: exercise the joins
    assert _assert_same(data, monkeypatch, max_age_lines=100) > 500


def test_damaged_real_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bytes changed, dropped or added (commas, stars, digits, high bytes, armour edges...)."""
    rng = random.Random(20261123)
    lines = []
    for path in _real_files():
        lines += [
            strip_trailer(x).encode("latin-1", "replace")
            for x in open_binary(path).decode("latin-1").splitlines()
        ]
    alphabet = b",*!\\$0125:;@W`wx\x80\xff\r 9AFaf"
    damaged = []
    for line in lines:
        for _ in range(3):
            if not line:
                break
            b = bytearray(line)
            pos = rng.randrange(len(b))
            what = rng.random()
            if what < 0.5:
                b[pos] = alphabet[rng.randrange(len(alphabet))]
            elif what < 0.75:
                del b[pos]
            else:
                b.insert(pos, alphabet[rng.randrange(len(alphabet))])
            damaged.append(bytes(b))
    data = b"\n".join(lines + damaged) + b"\n"
    for enforce_checksum in (True, False):
        assert _assert_same(data, monkeypatch, enforce_checksum=enforce_checksum, max_age_lines=100) > 1000
