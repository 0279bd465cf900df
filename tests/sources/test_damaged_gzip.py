"""A gzip file cut short (an interrupted copy, a full disk) keeps its good lines: every loader gives what
came before the damage and one `truncated_input` reject at the line where the file stops; the CLI says
so without a traceback."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import pytest

from seawatch.errors import InputError
from seawatch.sources.ais_bulk import decode_bytes, decode_file
from seawatch.sources.csv_ais import load_csv
from seawatch.sources.formats import gunzip, open_binary, read_input
from tests.shared import require_shared

KYSTVERKET = ("ais-nmea-tagblock-kystverket", "norwegian_2024-12-09.nmea")
DAY = ("ais-tracks-us-coastal-2020", "US_coastal_2020_06_30.csv.gz")


def _cut(data: bytes, keep: float, path: Path) -> Path:
    """`data` gzipped, then only the first `keep` of the compressed bytes written."""
    packed = gzip.compress(data)
    path.write_bytes(packed[: int(len(packed) * keep)])
    return path


def test_gunzip_reports_cut_damaged_and_trailing_bytes() -> None:
    text = b"".join(b"line %d\n" % i for i in range(5000))
    packed = gzip.compress(text)
    assert gunzip(packed) == (text, None)
    assert gunzip(packed + gzip.compress(b"more\n")) == (text + b"more\n", None)  # two members
    part, problem = gunzip(packed[: len(packed) // 2])
    assert problem == "the gzip stream is cut short" and text.startswith(part) and len(part) > 1000
    damaged = packed[:40] + bytes(b ^ 0xFF for b in packed[40:60]) + packed[60:]
    assert gunzip(damaged)[1] is not None
    assert gunzip(packed + b"junk")[1] == "bytes after the gzip stream that are not gzip"


def test_read_input_keeps_whole_lines_and_names_the_line_where_it_stops(tmp_path: Path) -> None:
    text = b"".join(b"line %d\n" % i for i in range(20000))
    data, cut = read_input(_cut(text, 0.5, tmp_path / "x.gz"))
    assert cut is not None and cut.reason.startswith("truncated_input: ")
    assert data.endswith(b"\n") and text.startswith(data)
    assert cut.line_no == data.count(b"\n") + 1
    assert cut.raw and text.splitlines()[cut.line_no - 1].decode().startswith(cut.raw)
    with pytest.raises(InputError, match="cut short"):
        open_binary(tmp_path / "x.gz")


def test_cut_nmea_gives_its_good_messages_and_one_reject(tmp_path: Path) -> None:
    text = require_shared(*KYSTVERKET).read_bytes()
    whole = decode_file(_cut(text, 1.0, tmp_path / "whole.nmea.gz"))
    half = decode_file(_cut(text, 0.6, tmp_path / "half.nmea.gz"))
    cut = [r for r in half.rejects if r.reason.startswith("truncated_input")]
    assert len(cut) == 1 and half.counts["rejected:truncated_input"] == 1
    assert 0 < half.n_decoded < whole.n_decoded
    lines_before = text.split(b"\n")[: cut[0].line_no - 1]  # the lines before the one cut short
    direct = decode_bytes(b"\n".join(lines_before) + b"\n", str(tmp_path / "half.nmea.gz"))
    assert list(half.iter_records()) == list(direct.iter_records())


def test_cut_csv_gives_its_good_rows_and_one_reject(tmp_path: Path) -> None:
    text = gzip.decompress(require_shared(*DAY).read_bytes())
    path = _cut(text, 0.3, tmp_path / "day.csv.gz")
    result = load_csv(path)
    assert [r.reason.split(":")[0] for r in result.rejects] == ["truncated_input"]
    rows_before = result.rejects[0].line_no - 2  # header on line 1
    assert result.positions.height == rows_before > 10_000
    assert result.counts["rejected:truncated_input"] == 1


def test_cli_reports_a_cut_file_in_one_line(tmp_path: Path) -> None:
    text = require_shared(*KYSTVERKET).read_bytes()
    path = _cut(text, 0.6, tmp_path / "half.nmea.gz")
    proc = subprocess.run(
        [sys.executable, "-m", "seawatch", "decode", str(path)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0 and "Traceback" not in proc.stderr
    assert "truncated_input 1" in proc.stderr and proc.stdout.count("\n") > 50
