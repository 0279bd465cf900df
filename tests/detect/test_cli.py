"""`seawatch detect` command line: config printing, options, errors, NMEA input, --live."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import polars as pl
import pytest

from seawatch.cli import main
from seawatch.detect.config import DetectConfig
from tests.detect.realdata import track, us_day
from tests.shared import require_shared


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[dict], str]:  # type: ignore[type-arg]
    code = main(["detect", *argv])
    out = capsys.readouterr()
    events = [json.loads(line) for line in out.out.splitlines() if line.startswith("{")]
    return code, events, out.err


def test_print_config_shows_what_is_in_force(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["detect", "--print-config"]) == 0
    shown = tomllib.loads(capsys.readouterr().out)
    assert shown["ais_gap"]["min_gap_s"] == 21600.0 and shown["encounter"]["max_distance_m"] == 500.0
    assert DetectConfig().merged(shown, "printed") == DetectConfig.defaults()
    cfg = tmp_path / "c.toml"
    cfg.write_text("[loitering]\nmin_duration_s = 3600\n")
    assert main(["detect", "--print-config", "--config", str(cfg)]) == 0
    assert tomllib.loads(capsys.readouterr().out)["loitering"]["min_duration_s"] == 3600.0


def test_help_and_print_config_import_no_detection_engine() -> None:
    """`--help` and `--print-config` answer without importing numpy, polars or scipy (they are instant)."""
    code = (
        "import sys\nfrom seawatch.cli import main\n"
        "try:\n    main(['detect', '--help'])\nexcept SystemExit:\n    pass\n"
        "main(['detect', '--print-config'])\n"
        "print('MODULES', ' '.join(sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = set(out.rsplit("MODULES", 1)[1].split())
    assert not loaded & {"numpy", "polars", "scipy", "shapely", "seawatch.detect.bulk"}


def test_detection_on_ais_csv_needs_no_scipy() -> None:
    """Shore distance, ports and pairs use numpy indexes: an AIS run does not pay scipy's import."""
    csv = require_shared("ais-tracks-us-coastal-2020", "VirginiaBeach_2020_06_04_to_06_filtered.csv.gz")
    code = (
        "import os, sys\nfrom seawatch.cli import main\nsys.stdout = open(os.devnull, 'w')\n"
        f"assert main(['detect', {str(csv)!r}]) == 0\n"
        "print('MODULES', ' '.join(sys.modules), file=sys.stderr)\n"
    )
    err = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stderr
    roots = {m.split(".")[0] for m in err.rsplit("MODULES", 1)[1].split()}
    assert "seawatch" in roots and "numpy" in roots and not roots & {"scipy", "pyais"}


def _small_csv(tmp_path: Path) -> Path:
    """A real vessel's day (tracktable columns) written to a temporary CSV."""
    tr = track(us_day(), 367564890)
    path = tmp_path / "one.csv"
    tr.select(
        pl.lit("x").alias("traj_id"),
        "mmsi",
        pl.from_epoch(pl.col("t").cast(pl.Int64)).dt.strftime("%Y-%m-%d %H:%M:%S").alias("timestamp_utc"),
        "lon",
        "lat",
    ).write_csv(path)
    return path


def test_config_and_watchlist_change_the_events(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    require_shared("natural-earth-marine")
    path = _small_csv(tmp_path)
    code, events, err = _run(capsys, str(path))
    assert code == 0 and [e["type"] for e in events] == ["loitering"]
    assert "1 events (loitering 1)" in err
    cfg = tmp_path / "c.toml"
    cfg.write_text("[loitering]\nenabled = false\n")
    wl = tmp_path / "wl.csv"
    wl.write_text("# watched vessels\nkind,value,label\nmmsi,367564890,case 12\n")
    code, events, _ = _run(capsys, str(path), "--config", str(cfg), "--watchlist", str(wl))
    assert code == 0 and [e["type"] for e in events] == ["watchlist_hit"]
    assert events[0]["details"]["matches"] == [{"kind": "mmsi", "value": "367564890", "label": "case 12"}]


def test_live_flag_gives_the_bulk_events(capsys: pytest.CaptureFixture[str]) -> None:
    path = require_shared("ais-tracks-us-coastal-2020", "NYHarbor_2020_06_30_first_hour.csv.gz")
    code, bulk, _ = _run(capsys, str(path))
    code_live, live, _ = _run(capsys, str(path), "--live")
    assert code == code_live == 0 and bulk
    assert {e["id"]: e for e in bulk} == {e["id"]: e for e in live}


def test_nmea_with_tag_blocks(capsys: pytest.CaptureFixture[str]) -> None:
    path = require_shared("ais-nmea-tagblock-kystverket", "norwegian_2024-12-09.nmea")
    code, events, err = _run(capsys, str(path), "--no-default-zones")
    assert code == 0 and "rows" in err
    assert all(e["start"].startswith("2024-12-09") for e in events)


def test_errors_are_one_line_naming_the_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad_zones = tmp_path / "zones.geojson"
    bad_zones.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [{"type": "Feature", "properties": {"kind": "eez"}, "geometry": None}],
            }
        )
    )
    code, _, err = _run(capsys, str(tmp_path / "nothing.csv"), "--zones", str(bad_zones))
    assert code == 1 and "zones.geojson feature 0: property 'name' is required" in err
    code, _, err = _run(capsys, str(tmp_path / "nothing.csv"), "--no-default-zones")
    assert code == 1 and "input not found" in err and "nothing.csv" in err
    bad_cfg = tmp_path / "c.toml"
    bad_cfg.write_text("[encounter]\nmax_distance_m = true\n")
    code, _, err = _run(capsys, "--print-config", "--config", str(bad_cfg))
    assert code == 1 and "c.toml: [encounter] max_distance_m = True: expected a number" in err
    assert len(err.strip().splitlines()) == 1
