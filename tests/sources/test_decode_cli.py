"""`seawatch decode` as users call it: files, stdin, CSV, rejects file, summary, missing input."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from seawatch.cli import main
from tests.shared import require_shared
from tests.sources.test_nmea_bad_input import BAD, GOOD


def _run(args: list[str], stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """The real command in a child process (exit code, stdout, stderr as users see them)."""
    return subprocess.run(
        [sys.executable, "-m", "seawatch", "decode", *args],
        input=stdin,
        capture_output=True,
        timeout=120,
        check=False,
    )


class _Stdin:
    def __init__(self, data: bytes) -> None:
        self.buffer = io.BytesIO(data)


def _run_here(
    args: list[str], capsys: pytest.CaptureFixture[bytes], monkeypatch: pytest.MonkeyPatch, stdin: bytes = b""
) -> tuple[int, bytes, bytes]:
    """The same in this process (faster): exit code, stdout, stderr."""
    monkeypatch.setattr(sys, "stdin", _Stdin(stdin))
    code = main(["decode", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_decode_kystverket_jsonl(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    path = require_shared("ais-nmea-tagblock-kystverket", "norwegian_2024-12-09.nmea")
    assert main(["decode", str(path)]) == 0
    out, err = capsysbinary.readouterr()
    records = [json.loads(x) for x in out.splitlines()]
    assert len(records) == 196
    first = records[0]
    assert first["msg_type"] == 1 and first["mmsi"] == 259076000
    assert first["received_at"] == "2024-12-09T22:07:14Z" and first["station"] == "2573238"
    assert first["source"] == str(path)
    assert {"lat", "lon", "speed", "course", "heading", "status"} <= first.keys()
    statics = [r for r in records if r["msg_type"] == 5]
    assert statics and {"shipname", "callsign", "imo", "ship_type", "to_bow"} <= statics[0].keys()
    assert b"decoded 196 rejected 0" in err


def test_rejects_file_and_summary(tmp_path: Path) -> None:
    path = tmp_path / "mixed.nmea"
    lines = []
    for i, bad in enumerate(BAD.values()):
        lines += [GOOD[i % 4], bad]
    path.write_bytes("\n".join(lines).encode("utf-8", "surrogateescape") + b"\n")
    rejects = tmp_path / "rejects.jsonl"
    proc = _run([str(path), "--rejects", str(rejects)])
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.splitlines()) == len(BAD)
    rows = [json.loads(x) for x in rejects.read_text().splitlines()]
    assert sorted(r["reason"].split(":")[0] for r in rows) == sorted(BAD)
    assert all(r["line_no"] % 2 == 0 and r["source"] == str(path) for r in rows)
    summary = proc.stderr.decode()
    assert f"decoded {len(BAD)} rejected {len(BAD)}" in summary and "checksum_mismatch 1" in summary


def test_stdin_streaming_and_csv_output(
    capsysbinary: pytest.CaptureFixture[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = ("\n".join(GOOD) + "\n" + BAD["checksum_mismatch"] + "\n").encode()
    code, out, err = _run_here(["-", "--format", "csv"], capsysbinary, monkeypatch, data)
    assert code == 0, err
    rows = out.decode().splitlines()
    assert rows[0].startswith("msg_type,mmsi,lat,lon,speed,course,heading,status")
    assert len(rows) == 1 + len(GOOD)
    assert rows[1].split(",")[1] == "227006760" and rows[1].endswith(",-")
    assert b"rejected 1 (checksum_mismatch 1)" in err


def test_no_checksum_option_accepts_bad_checksums(
    capsysbinary: pytest.CaptureFixture[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    stdin = (BAD["checksum_mismatch"] + "\n").encode()
    code, out, _ = _run_here(["-", "--no-checksum"], capsysbinary, monkeypatch, stdin)
    assert code == 0 and len(out.splitlines()) == 1


def test_marinecadastre_csv_rows_as_records(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    path = require_shared("ais-tracks-us-coastal-2020", "NYHarbor_2020_06_30_first_hour.csv.gz")
    assert main(["decode", str(path)]) == 0
    out, _ = capsysbinary.readouterr()
    records = [json.loads(x) for x in out.splitlines()]
    assert len(records) == 8_689
    assert records[0]["received_at"] == "2020-06-30T00:00:00Z" and records[0]["mmsi"] == 367000140


def test_missing_input_is_a_one_line_error() -> None:
    proc = _run(["/nonexistent/file.nmea"])
    assert proc.returncode == 1
    assert proc.stderr.decode().strip() == "seawatch decode: error: input not found: /nonexistent/file.nmea"
    assert proc.stdout == b""


def test_non_ais_input_is_refused(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello\nworld\n")
    code, out, err = _run_here([str(path)], capsysbinary, monkeypatch)
    assert code == 1 and b"unknown input format" in err and out == b""
