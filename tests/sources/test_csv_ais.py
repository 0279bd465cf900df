"""AIS CSV sources: the real MarineCadastre and tracktable samples, with correct row counts and types."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from seawatch.model.columns import POSITION_SCHEMA, STATIC_SCHEMA
from seawatch.model.observation import AisStatic, Observation, Rejected
from seawatch.sources import csv_ais
from seawatch.sources.csv_ais import CsvColumnMapping, iterate_csv, load_csv, mapping_from_header
from seawatch.sources.inputs import load_inputs
from tests.shared import require_shared


def _check_schema(frame: pl.DataFrame) -> None:
    for name, dtype in POSITION_SCHEMA.items():
        assert frame.schema[name] == dtype, name


def test_marinecadastre_sample() -> None:
    path = require_shared("ais-positions-marinecadastre-2022-01-03", "AIS_2022_01_03_first99999.csv.gz")
    result = load_inputs([path])
    pos = result.positions
    _check_schema(pos)
    # 99,999 rows: 5 carry the 10-digit MMSI 1072211352 (not an MMSI) and are rejected with their reason
    assert pos.height + len(result.rejects) == 99_999
    assert {r.reason for r in result.rejects} == {"csv_bad_mmsi"} and len(result.rejects) == 5
    assert pos["mmsi"].n_unique() == 10_630
    assert pos["t"].min() == 1641168000.0  # 2022-01-03T00:00:00Z
    assert pos["lat"].is_between(7.6, 49.8).all() and pos["lon"].is_between(-158.4, -63.1).all()
    assert pos["heading_deg"].max() < 360  # 511 became null
    assert pos["heading_deg"].null_count() > 0
    assert (pos["sensor"] == "ais").all() and pos["track_id"].null_count() == pos.height
    statics = result.statics
    assert statics.schema == pl.Schema(STATIC_SCHEMA)
    eagle = statics.filter(pl.col("mmsi") == 367379190).row(0, named=True)
    assert eagle["shipname"] == "EAGLE" and eagle["imo"] == 8207721 and eagle["callsign"] == "WTD4583"
    assert eagle["ship_type"] == 31 and eagle["length_m"] == 28.0


def test_tracktable_tracks_load_through_the_generic_mapping() -> None:
    path = require_shared("ais-tracks-us-coastal-2020", "US_coastal_2020_06_30.csv.gz")
    result = load_inputs([path])
    pos = result.positions
    _check_schema(pos)
    assert pos.height == 235_967 and not result.rejects
    assert pos["mmsi"].n_unique() == 1_185
    assert pos["traj_id"].n_unique() == 1_395
    assert pos["sog_kn"].null_count() == pos.height  # positions only
    virginia = load_inputs(
        [require_shared("ais-tracks-us-coastal-2020", "VirginiaBeach_2020_06_04_to_06_filtered.csv.gz")]
    )
    assert virginia.positions.height == 39_822 and virginia.positions["mmsi"].n_unique() == 84


def test_ny_harbor_marinecadastre_variant_with_negative_cog() -> None:
    path = require_shared("ais-tracks-us-coastal-2020", "NYHarbor_2020_06_30_first_hour.csv.gz")
    result = load_csv(path)
    pos = result.positions
    assert pos.height == 8_689 and pos["mmsi"].n_unique() == 295
    assert pos["cog_deg"].drop_nulls().is_between(0, 360, closed="left").all()
    first = pos.row(0, named=True)
    assert first["cog_deg"] == 299.4  # -60.6 in the source
    assert first["transceiver_class"] == "B"


def test_mapping_and_bad_rows(tmp_path: Path) -> None:
    path = tmp_path / "mine.csv"
    path.write_text(
        "Time,ID,Latitude,Longitude,Speed\n"
        "2024-05-01 12:00:00,366053209,18.4,-66.1,12.5\n"
        "not a time,366053209,18.4,-66.1,12.5\n"
        "2024-05-01T12:01:00Z,abc,18.4,-66.1,12.5\n"
        "2024-05-01T12:02:00,366053209,95.0,-66.1,12.5\n"
        "2024-05-01T12:03:00,366053209,91,181,102.3\n"
        "1714565040,366053209,18.5,-66.2,\n"
    )
    assert mapping_from_header(["Time", "ID", "Latitude", "Longitude"]) is None  # no MMSI column by name
    mapping = CsvColumnMapping(t="Time", mmsi="ID", lat="Latitude", lon="Longitude", sog_kn="Speed")
    result = load_csv(path, mapping)
    assert sorted(r.reason for r in result.rejects) == ["csv_bad_mmsi", "csv_bad_position", "csv_bad_time"]
    assert result.counts["skipped:no_position"] == 1
    pos = result.positions
    assert pos["t"].to_list() == [1714564800.0, 1714565040.0]
    assert pos["sog_kn"].to_list() == [12.5, None]


def test_iterate_gives_observations_statics_and_rejects() -> None:
    path = require_shared("ais-tracks-us-coastal-2020", "NYHarbor_2020_06_30_first_hour.csv.gz")
    items = list(iterate_csv(path))
    obs = [i for i in items if isinstance(i, Observation)]
    assert len(obs) == 8_689 and obs[0].time.tzinfo is not None
    assert any(isinstance(i, AisStatic) for i in items)
    assert not any(isinstance(i, Rejected) for i in items)


@pytest.mark.parametrize(
    "name",
    [
        ("ais-positions-marinecadastre-2022-01-03", "AIS_2022_01_03_first99999.csv.gz"),  # with rejects
        ("ais-tracks-us-coastal-2020", "NYHarbor_2020_06_30_first_hour.csv.gz"),
    ],
)
def test_numbers_parsed_by_the_reader_equal_the_text_path(
    name: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Clean files have their numbers parsed by the CSV reader; the result equals the text path's."""
    path = require_shared(*name)
    typed = load_csv(path)
    monkeypatch.setattr(csv_ais, "_read_numbers_typed", lambda path, numeric: None)
    text = load_csv(path)
    assert typed.positions.equals(text.positions) and typed.statics.equals(text.statics)
    assert [(r.raw, r.reason, r.line_no) for r in typed.rejects] == [
        (r.raw, r.reason, r.line_no) for r in text.rejects
    ]
    assert typed.counts == text.counts


def test_a_padded_number_sends_the_file_to_the_text_path(tmp_path: Path) -> None:
    path = tmp_path / "padded.csv"
    path.write_text("mmsi,t,lat,lon\n366053209,1714565040, 18.5 ,-66.2\n")
    assert csv_ais._read_numbers_typed(path, ["mmsi", "lat", "lon"]) is None
    assert load_csv(path).positions["lat"].to_list() == [18.5]
