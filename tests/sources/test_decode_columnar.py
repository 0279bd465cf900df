"""`seawatch decode` JSON Lines and Parquet written from columns equal the per-record decoder's records
on every real line; messages gpsd and pyais both decode are decoded."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path
from typing import Any

import orjson
import polars as pl
import pyais
import pytest
from pyais import encode_dict

from seawatch.cli import main
from seawatch.sources.ais_bulk import BulkDecodeResult, decode_bytes
from seawatch.sources.ais_records import wide_frame, write_jsonl
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


def _assert_parquet_same(result: BulkDecodeResult, tmp_path: Path) -> None:
    path = tmp_path / "decoded.parquet"
    wide_frame(result).write_parquet(path)
    rows = pl.read_parquet(path).to_dicts()  # read back from the file
    ref = _reference(result)
    assert len(rows) == len(ref)
    for row, rec in zip(rows, ref, strict=True):
        assert {k: row[k] for k in rec} == rec, (row, rec)
        assert all(v is None for k, v in row.items() if k not in rec)


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


def test_parquet_of_nothing_is_a_valid_empty_table(tmp_path: Path) -> None:
    path = tmp_path / "in.nmea"
    path.write_text("!AIVDM,1,1,,B,15MgK45P3@G?fl0E`JbR0OwT0@MS,0*00\n")  # checksum wrong: rejected
    out = tmp_path / "out.parquet"
    assert main(["decode", str(path), "--format", "parquet", "--out", str(out)]) == 0
    assert pl.read_parquet(out).height == 0


def test_cli_jsonl_and_parquet_agree(tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    path = require_shared("ais-nmea-tagblock-kystverket", "norwegian_2024-12-09.nmea")
    assert main(["decode", str(path), "--out", str(tmp_path / "a.jsonl")]) == 0
    assert main(["decode", str(path), "--format", "parquet", "--out", str(tmp_path / "a.parquet")]) == 0
    records = [orjson.loads(x) for x in (tmp_path / "a.jsonl").read_bytes().splitlines()]
    rows = pl.read_parquet(tmp_path / "a.parquet").to_dicts()
    assert len(records) == len(rows) == 196
    for rec, row in zip(records, rows, strict=True):
        assert {k: row[k] for k in rec} == rec


def test_parquet_needs_an_output_file(capsys: pytest.CaptureFixture[str]) -> None:
    path = require_shared("ais-nmea-tagblock-kystverket", "norwegian_2024-12-09.nmea")
    assert main(["decode", str(path), "--format", "parquet"]) != 0
    assert "--out" in capsys.readouterr().err


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
