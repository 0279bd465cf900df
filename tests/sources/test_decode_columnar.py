"""`seawatch decode` JSON Lines (the compiled encoder) and Parquet (one table per message family) written
from columns equal the per-record decoder's records on every real line; messages gpsd and pyais both
decode are decoded."""

from __future__ import annotations

import io
import math
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import polars as pl
import pyais
import pytest
from pyais import encode_dict

from seawatch.cli import main
from seawatch.sources.ais_bulk import BulkDecodeResult, decode_bytes
from seawatch.sources.ais_parquet import _merged_column, family_frames
from seawatch.sources.ais_records import _iso_times, family_of, is_family_name, write_jsonl
from seawatch.sources.formats import open_binary
from seawatch.sources.tagblock import xor_checksum
from seawatch.timeutil import iso_utc
from tests.shared import require_shared
from tests.sources.ais_helpers import bulk_decode, records_equal
from tests.sources.test_ais_fast import _real_lines, _real_nmea_files


def _reference(result: BulkDecodeResult) -> list[dict[str, Any]]:
    """The per-record decoder's records as `seawatch decode` wrote them before (JSON round trip)."""
    out = []
    for rec in result.iter_records():
        t = rec["received_at"]
        rec["received_at"] = None if t is None else iso_utc(t)
        out.append(orjson.loads(orjson.dumps(rec, default=lambda v: v.hex())))
    return out


def _jsonl(result: BulkDecodeResult) -> list[dict[str, Any]]:
    buf = io.BytesIO()
    n = write_jsonl(result, buf)
    lines = buf.getvalue().splitlines()
    assert len(lines) == n
    return [orjson.loads(x) for x in lines]


def _assert_jsonl_same(result: BulkDecodeResult) -> int:
    ref, got = _reference(result), _jsonl(result)
    assert len(got) == len(ref)
    for a, b in zip(got, ref, strict=True):
        assert records_equal(a, b), (a, b)
        assert list(a) == list(b)  # same key order too
    return len(ref)


def _by_family(records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for rec in records:
        out.setdefault(family_of(rec.get("msg_type")), []).append(rec)
    return out


def _assert_rows_same(tables: dict[str, list[dict[str, Any]]], ref: list[dict[str, Any]]) -> None:
    """Each family's rows are its records, in input order; a column a record's type lacks is null."""
    expected = _by_family(ref)
    assert tables.keys() == expected.keys()
    for family, rows in tables.items():
        assert len(rows) == len(expected[family]), family
        for row, rec in zip(rows, expected[family], strict=True):
            assert {k: row[k] for k in rec} == rec, (row, rec)
            assert all(v is None for k, v in row.items() if k not in rec)


def _assert_parquet_same(result: BulkDecodeResult, tmp_path: Path) -> None:
    tables = {}
    for family, frame in family_frames(result):
        path = tmp_path / f"{family}.parquet"
        frame.write_parquet(path)
        tables[family] = pl.read_parquet(path).to_dicts()  # read back from the file
    assert len(tables) > 5
    _assert_rows_same(tables, _reference(result))


@pytest.mark.parametrize("fast", [True, False])
def test_jsonl_equals_records_on_every_real_line(fast: bool) -> None:
    lines = _real_lines()
    result = bulk_decode(lines, fast=fast)
    assert _assert_jsonl_same(result) > 1000
    if fast:
        assert result.slow  # both paths' records are merged back in input order
        assert result.n_fast > 1000


def test_jsonl_equals_records_on_real_files_as_they_are() -> None:
    for path in _real_nmea_files():
        _assert_jsonl_same(decode_bytes(open_binary(path), str(path)))


def test_parquet_equals_records_on_every_real_line(tmp_path: Path) -> None:
    _assert_parquet_same(bulk_decode(_real_lines()), tmp_path)


def test_family_columns_merged_from_groups_keep_their_values(tmp_path: Path) -> None:
    """Groups of one family put together by place: integer widths widen, a group without the field
    gives nulls, floats and integers, text and bytes (as hex) keep each value, through a file."""
    dest_a, dest_b = np.array([0, 2, 3]), np.array([1, 4])
    cases: dict[str, tuple[Any, Any, list[Any]]] = {
        "widen": (np.array([1, 2, 255], np.uint8), np.array([-5, 70000], np.int32), [1, -5, 2, 255, 70000]),
        "missing": (np.array([1.5, 2.5, 3.5]), None, [1.5, None, 2.5, 3.5, None]),
        "flags": (None, np.array([True, False]), [None, True, None, None, False]),
        "float_int": (np.array([0.5, 1.0, 2.0]), np.array([3, 4], np.int64), [0.5, 3, 1.0, 2.0, 4]),
        "text": (["a", "b", None], None, ["a", None, "b", None, None]),
        "bytes": ([b"\x01", b"\xff", b""], None, ["01", None, "ff", "", None]),
        "none": (None, None, [None] * 5),
    }
    frame = pl.DataFrame(
        [_merged_column(name, [(dest_a, a), (dest_b, b)], 5) for name, (a, b, _) in cases.items()]
    )
    frame.write_parquet(tmp_path / "t.parquet")
    back = pl.read_parquet(tmp_path / "t.parquet")
    assert back.to_dict(as_series=False) == {name: want for name, (_, _, want) in cases.items()}
    assert back["widen"].dtype == pl.Int32 and back["flags"].dtype == pl.Boolean


def test_receive_times_made_unique_through_runs_as_numpy_does() -> None:
    rng = np.random.default_rng(17)
    for _ in range(300):
        t = rng.choice([math.nan, 1.7e9, 1.7e9 + 0.5, 1.7e9 + 1, 0.0, -1.0], size=int(rng.integers(0, 40)))
        uniq, inverse = np.unique(t, return_inverse=True)
        texts, got = _iso_times(t)
        assert texts == [None if u != u else iso_utc(u) for u in uniq.tolist()]
        assert got.tolist() == inverse.ravel().tolist()


def test_parquet_of_nothing_is_an_empty_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "in.nmea"
    path.write_text("!AIVDM,1,1,,B,15MgK45P3@G?fl0E`JbR0OwT0@MS,0*00\n")  # checksum wrong: rejected
    out = tmp_path / "out"
    assert main(["decode", str(path), "--format", "parquet", "--out", str(out)]) == 0
    assert out.is_dir() and not list(out.iterdir())
    assert "tables in" in capsys.readouterr().err


def _read_tables(directory: Path) -> dict[str, list[dict[str, Any]]]:
    return {
        p.stem: pl.read_parquet(p).to_dicts() for p in directory.glob("*.parquet") if is_family_name(p.stem)
    }


def test_cli_jsonl_and_parquet_agree(tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    path = require_shared("ais-nmea-tagblock-kystverket", "norwegian_2024-12-09.nmea")
    assert main(["decode", str(path), "--out", str(tmp_path / "a.jsonl")]) == 0
    out = tmp_path / "tables"
    (out).mkdir()
    (out / "static_b.parquet").write_bytes(b"an earlier run's table")  # replaced, not kept
    (out / "notes.parquet").write_bytes(b"not ours")  # left alone
    assert main(["decode", str(path), str(path), "--format", "parquet", "--out", str(out)]) == 0
    records = [orjson.loads(x) for x in (tmp_path / "a.jsonl").read_bytes().splitlines()]
    assert len(records) == 196
    assert (out / "notes.parquet").read_bytes() == b"not ours"
    tables = _read_tables(out)
    assert "position_a" in tables
    _assert_rows_same(tables, records + records)  # two inputs: the first's rows, then the second's
    assert main(["decode", str(path), "--format", "parquet", "--out", str(out)]) == 0  # built as written
    _assert_rows_same(_read_tables(out), records)


def test_parquet_from_csv_and_the_pyais_path(tmp_path: Path) -> None:
    """Records that arrive as dicts (--no-fast, AIS CSV) are written by family too."""
    path = require_shared("ais-nmea-tagblock-kystverket", "norwegian_2024-12-09.nmea")
    assert main(["decode", str(path), "--out", str(tmp_path / "a.jsonl")]) == 0
    assert main(["decode", str(path), "--no-fast", "--format", "parquet", "--out", str(tmp_path / "t")]) == 0
    records = [orjson.loads(x) for x in (tmp_path / "a.jsonl").read_bytes().splitlines()]
    _assert_rows_same(_read_tables(tmp_path / "t"), records)


def test_parquet_needs_an_output_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = require_shared("ais-nmea-tagblock-kystverket", "norwegian_2024-12-09.nmea")
    assert main(["decode", str(path), "--format", "parquet"]) != 0
    assert "--out DIR" in capsys.readouterr().err
    (tmp_path / "a.parquet").write_bytes(b"")
    assert main(["decode", str(path), "--format", "parquet", "--out", str(tmp_path / "a.parquet")]) != 0
    assert "is a file" in capsys.readouterr().err


# -- the compiled encoder on values the real data lacks --------------------------------------------


def test_encoder_writes_what_orjson_reads_back() -> None:
    from seawatch.sources import _ais_jsonl

    floats = [0.0, -0.0, 1.0, 0.1, 102.3, -73.123456, 60.076687, 1e-7, 2.5e-5, 1e15, 1e20, 123456.789012345,
              1 / 3, math.pi, -1e-300, 5e-324, 1.7976931348623157e308]  # fmt: skip
    texts = ["", 'say "hi"', "back\\slash", "tab\tnew\nline\x01\x1f", "Ærøskøbing ⚓", "@@@@"]
    ints = np.array([0, 1, -1, 2**31, -(2**63), 2**63 - 1], dtype=np.int64)
    objects: list[Any] = [None, True, False, 7, -(2**62), 2.5, "x", b"\x00\xffA"]
    n = max(len(floats), len(texts), len(ints), len(objects))

    def cycle(values: list[Any]) -> list[Any]:
        return [values[i % len(values)] for i in range(n)]

    columns: dict[str, Any] = {
        "f": np.array(cycle(floats)), "f32": np.array(cycle([0.5, 1.25, -3.0]), dtype=np.float32),
        "s": cycle(texts), "i": np.array(cycle(list(ints)), dtype=np.int64),
        "u8": np.arange(n, dtype=np.uint8), "u64": np.full(n, 2**64 - 1, dtype=np.uint64),
        "b": np.arange(n) % 2 == 0, "o": cycle(objects),
    }  # fmt: skip
    fields: list[tuple[bytes, int, Any, Any]] = []
    for i, (name, col) in enumerate(columns.items()):
        kind = 1 if isinstance(col, np.ndarray) else 2
        fields.append(((b"{" if i == 0 else b",") + orjson.dumps(name) + b":", kind, col, None))
    codes = np.arange(n, dtype=np.int64) % 3
    fields.append((b',"c":', 3, codes, [b'"a"', b"null", b'"\\u00e9"']))
    fields.append((b',"k":"const"', 4, None, None))
    fields.append((b',"z":', 0, None, None))
    slow = [orjson.dumps({"slow": i}) for i in range(3)]
    groups = [tuple(fields), ((b"", 5, slow, None),)]
    which = np.array([0] * n + [1, 1, 1], dtype=np.int32)
    row = np.array([*range(n), 2, 0, 1], dtype=np.int64)
    buffer = bytearray(16)  # grown by the encoder
    used = _ais_jsonl.encode(groups, which, row, 0, len(which), buffer)
    lines = bytes(buffer[:used]).splitlines()
    assert len(lines) == n + 3
    for r, line in enumerate(lines[:n]):
        got = orjson.loads(line)
        want = {name: col[r] for name, col in columns.items()}
        want = {k: (v.item() if isinstance(v, np.generic) else v) for k, v in want.items()}
        want["o"] = want["o"].hex() if isinstance(want["o"], bytes) else want["o"]
        want |= {"c": ["a", None, "é"][r % 3], "k": "const", "z": None}
        assert list(got) == list(want)
        for k, v in want.items():
            if isinstance(v, float) and k != "f32":
                assert (
                    got[k] == v and type(got[k]) is float and math.copysign(1, got[k]) == math.copysign(1, v)
                ), k
            else:
                assert got[k] == v and type(got[k]) is type(v), (k, got[k], v)
    assert [orjson.loads(x) for x in lines[n:]] == [{"slow": 2}, {"slow": 0}, {"slow": 1}]
    nan = ((b'{"v":', 1, np.array([math.nan, math.inf]), None),)
    used = _ais_jsonl.encode([nan], np.zeros(2, np.int32), np.arange(2, dtype=np.int64), 0, 2, buffer)
    assert bytes(buffer[:used]) == b'{"v":null}\n{"v":null}\n'  # as orjson writes NaN and infinity


def test_encoder_refuses_what_it_cannot_write() -> None:
    from seawatch.sources import _ais_jsonl

    one = np.zeros(1, np.int32)
    group = ((b'{"v":', 1, np.arange(3, dtype=np.int64), None),)
    buffer = bytearray()
    with pytest.raises(IndexError):  # a row beyond the columns
        _ais_jsonl.encode([group], one, np.array([3], np.int64), 0, 1, buffer)
    with pytest.raises(IndexError):  # a group that is not there
        _ais_jsonl.encode([group], np.ones(1, np.int32), np.zeros(1, np.int64), 0, 1, buffer)
    with pytest.raises(TypeError):
        _ais_jsonl.encode([((b'{"v":', 2, [object()], None),)], one, np.zeros(1, np.int64), 0, 1, buffer)
    with pytest.raises(TypeError):  # a 2-d array
        _ais_jsonl.encode(
            [((b'{"v":', 1, np.zeros((1, 2)), None),)], one, np.zeros(1, np.int64), 0, 1, buffer
        )
    with pytest.raises(ValueError):  # lo, hi outside the places
        _ais_jsonl.encode([group], one, np.zeros(1, np.int64), 0, 2, buffer)


# -- what gpsd and pyais both decode is decoded ---------------------------------------------------


def _armor(bits: str) -> str:
    fill = (-len(bits)) % 6
    padded = bits + "0" * fill
    values = (int(padded[i : i + 6], 2) for i in range(0, len(padded), 6))
    payload = "".join(chr(v + 48 if v < 40 else v + 56) for v in values)
    body = f"AIVDM,1,1,,A,{payload},{fill}"
    return f"!{body}*{xor_checksum(body.encode()):02X}"


def _bits(sentence: str) -> str:
    fields = sentence.split(",")
    fill = int(fields[6][0])
    text = "".join(format(ord(c) - 48 if ord(c) - 48 < 40 else ord(c) - 56, "06b") for c in fields[5])
    return text[: len(text) - fill]


def _lengths_variants() -> list[str]:
    """Real-shaped reports of each common type, cut or extended by up to 12 bits."""
    lines = []
    for msg_type in (1, 2, 3, 4, 5, 9, 11, 18, 19, 21, 24, 27):
        fields: dict[str, Any] = {"msg_type": msg_type, "mmsi": 366730000, "lat": 12.5, "lon": -61.2,
                                  "speed": 5, "course": 90, "shipname": "TEST", "partno": 0}  # fmt: skip
        full = "".join(_bits(s) for s in encode_dict(fields, radio_channel="A"))
        for n in range(len(full) - 6, len(full) + 13):
            lines.append(_armor(full[:n] if n <= len(full) else full + "0" * (n - len(full))))
    return lines


def test_what_gpsd_and_pyais_decode_is_decoded() -> None:
    if shutil.which("gpsdecode") is None:
        pytest.skip("gpsdecode (Debian gpsd-clients) not installed: scripts/install-system-deps.sh")
    lines = _lengths_variants()
    both = []
    for line in lines:
        gpsd = subprocess.run(["gpsdecode"], input=line + "\n", capture_output=True, text=True, timeout=10)
        try:
            pyais.decode(line).asdict()
        except Exception:
            continue
        if '"type"' in gpsd.stdout:
            both.append(line)
    assert len(both) > 100
    assert any(_bits(x) and len(_bits(x)) == 163 for x in both)  # a type 1 report cut to 163 bits
    for fast in (True, False):
        result = bulk_decode(both, fast=fast)
        assert result.n_decoded == len(both), [r.reason for r in result.rejects]
    fast_records = list(bulk_decode(both).iter_records())
    slow_records = list(bulk_decode(both, fast=False).iter_records())
    assert all(records_equal(a, b) for a, b in zip(fast_records, slow_records, strict=True))
