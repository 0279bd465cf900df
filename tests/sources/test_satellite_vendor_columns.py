"""Satellite detections from other vendors: read through the documented column mapping; an unknown
layout's reject names the columns seen and those needed."""

from __future__ import annotations

from pathlib import Path

from seawatch.model.observation import Observation, Rejected
from seawatch.sources.inputs import load_inputs
from seawatch.sources.satellite import iter_satellite_file


def test_vendor_column_names_are_mapped(tmp_path: Path) -> None:
    path = tmp_path / "gfw_sar.csv"
    path.write_text(
        "detect_id,detect_timestamp,detect_lat,detect_lon,vessel_length_m,presence_score,scene_id\n"
        "S1A_1,2024-03-02T10:15:03Z,17.91,-66.61,41.5,0.93,S1A_IW_GRDH\n"
        "S1A_2,1709374503,17.95,-66.70,,87,S1A_IW_GRDH\n"
        "S1A_3,not a time,17.95,-66.70,,0.5,S1A_IW_GRDH\n"
    )
    items = list(iter_satellite_file(path))
    obs = [o for o in items if isinstance(o, Observation)]
    rejects = [r for r in items if isinstance(r, Rejected)]
    assert [o.target_ref for o in obs] == ["S1A_1", "S1A_2"]
    assert obs[0].length_m == 41.5 and obs[0].extra["confidence"] == 0.93 and obs[0].station == "S1A_IW_GRDH"
    assert obs[1].time.timestamp() == 1709374503 and obs[1].extra["confidence"] == 0.87
    assert len(rejects) == 1 and "invalid time" in rejects[0].reason and rejects[0].line_no == 4
    loaded = load_inputs([str(path)])  # the registry recognises the vendor layout too
    assert loaded.positions.height == 2


def test_unknown_layout_names_what_it_saw_and_needs(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("when,northing,easting,label\n2024-03-02T10:15:03Z,17.9,-66.6,x\n")
    (reject,) = list(iter_satellite_file(path))
    assert isinstance(reject, Rejected)
    assert "'when', 'northing', 'easting', 'label'" in reject.reason
    assert "time: one of time, timestamp" in reject.reason and "lat: one of lat, latitude" in reject.reason
    assert "detection or scene id" in reject.reason


def test_an_ais_csv_is_not_taken_for_detections(tmp_path: Path) -> None:
    path = tmp_path / "ais.csv"
    path.write_text("mmsi,time,lat,lon,id\n367000001,2024-03-02T10:15:03Z,17.9,-66.6,1\n")
    (reject,) = list(iter_satellite_file(path))
    assert isinstance(reject, Rejected) and "'mmsi'" in reject.reason
