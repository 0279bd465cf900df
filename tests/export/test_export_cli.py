"""`seawatch export` as users run it: from a store folder or from input files, formats by flag or by
the output's extension, clear one-line errors."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from seawatch.cli import main
from seawatch.store.sqlite import SqliteStore
from seawatch.timeutil import iso_utc
from tests.export.conftest import HOUR0, HOUR1

WINDOW = ["--start", iso_utc(HOUR0), "--end", iso_utc(HOUR1 + 3599)]


def test_export_from_a_store_by_extension(
    store: SqliteStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "positions.parquet"
    assert main(["export", "positions", "--data-dir", str(store.data_dir), *WINDOW, "--out", str(out)]) == 0
    table = pq.read_table(out)
    assert table.num_rows == 8689 + 10 and b"geo" in table.schema.metadata
    err = capsys.readouterr().err
    assert "8,699 positions (parquet" in err


def test_export_events_to_stdout_in_a_child_process(store: SqliteStore) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "seawatch", "export", "events", "--data-dir", str(store.data_dir), *WINDOW,
         "--format", "geojson", "--type", "loitering"],
        capture_output=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert len(doc["features"]) == 5 and {f["properties"]["type"] for f in doc["features"]} == {"loitering"}


def test_export_tracks_from_input_files(ny_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "tracks.kml"
    assert main(["export", "tracks", "--input", str(ny_csv), "--out", str(out)]) == 0
    text = out.read_text()
    assert text.count("<gx:Track>") > 100 and "<when>2020-06-30T00:" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["positions", "--data-dir", "/nonexistent/store"], "no Seawatch store"),
        (["positions", "--data-dir", "STORE", "--bbox", "10,10,0"], "bbox"),
        (["positions", "--data-dir", "STORE", "--zone", "nowhere"], "no zone"),
        (["positions", "--data-dir", "STORE", "--format", "parquet"], "--out"),
        (["positions", "--data-dir", "STORE", "--out", "x.xlsx"], "unknown 'xlsx'"),
        (["events", "--input", "INPUT"], "store"),
    ],
)
def test_bad_requests_are_one_line_errors(
    args: list[str], message: str, store: SqliteStore, ny_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [str(store.data_dir) if a == "STORE" else str(ny_csv) if a == "INPUT" else a for a in args]
    assert main(["export", *args]) != 0
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def _stderr_on_a_terminal(argv: list[str], stdout: Path) -> tuple[int, bytes]:
    """Run `argv` with stderr on a pseudo-terminal (as a user at a shell sees it); stdout to a file."""
    main_fd, term_fd = pty.openpty()
    with open(stdout, "wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=term_fd, stdin=subprocess.DEVNULL)
    os.close(term_fd)
    seen = b""
    while True:
        try:
            block = os.read(main_fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not block:
            break
        seen += block
    os.close(main_fd)
    return proc.wait(timeout=120), seen


def test_progress_on_a_terminal_only(store: SqliteStore, tmp_path: Path) -> None:
    """A large export shows its rows and megabytes so far on a terminal's stderr; piped, only the
    one-line summary."""
    argv = [sys.executable, "-m", "seawatch", "export", "positions", "--data-dir", str(store.data_dir),
            *WINDOW, "--format", "csv"]  # fmt: skip
    code, seen = _stderr_on_a_terminal(argv, tmp_path / "p.csv")
    assert code == 0
    text = seen.decode(errors="replace")
    assert "export positions" in text and "\x1b[" in text  # the live line, drawn with terminal codes
    assert "8,699 positions (csv" in text
    piped = subprocess.run(argv, capture_output=True, timeout=120, check=True)
    assert piped.stdout == (tmp_path / "p.csv").read_bytes()
    assert piped.stderr.decode().startswith("seawatch export: 8,699 positions (csv")
    assert "\x1b[" not in piped.stderr.decode()
