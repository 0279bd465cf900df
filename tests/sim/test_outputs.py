"""Simulated files: formats real readers accept, physical sanity, and the injected events in the truth."""

from __future__ import annotations

import csv
import json
import tomllib
from pathlib import Path

import numpy as np
import polars as pl
import pyais
import pynmea2
import pytest

from seawatch.model.event import EVENT_TYPES, Event
from seawatch.sim.engine import SimulationResult
from seawatch.sim.fleet import CATEGORIES
from seawatch.sim.geodata import haversine_m, sim_geo
from seawatch.sim.nmea import checksum
from seawatch.sim.sar import SAR_COLUMNS

Runs = dict[str, tuple[SimulationResult, Path]]


def _truth(folder: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (folder / "truth.jsonl").read_text().splitlines()]


def test_ais_decodes_with_pyais_except_deliberate_garbage(shipped_runs: Runs) -> None:
    for name, (result, folder) in shipped_runs.items():
        lines = (folder / "ais.nmea").read_text().splitlines()
        assert lines, name
        bad = 0
        for line in lines:
            tag, _, sentence = line[1:].partition("\\")
            body, _, hh = tag.partition("*")
            assert checksum(body) == hh, line
            try:
                msg = pyais.NMEAMessage.from_string(sentence)
                if not msg.is_valid:
                    raise ValueError("checksum")
                if msg.is_single:
                    msg.decode()
            except Exception:
                bad += 1
        assert bad == result.ais.garbage == result.scenario.ais.garbage_lines, name


def test_ais_loads_through_seawatch_sources_with_only_garbage_rejected(shipped_runs: Runs) -> None:
    inputs = pytest.importorskip("seawatch.sources.inputs")
    result, folder = shipped_runs["dark-fleet"]
    loaded = inputs.load_inputs([folder / "ais.nmea"])
    assert len(loaded.rejects) == result.ais.garbage == 12
    assert loaded.positions.height == result.ais.received.height + _duplicates(result)
    assert set(loaded.positions["mmsi"].unique().to_list()) == set(
        result.ais.received["mmsi"].unique().to_list()
    )


def _duplicates(result: SimulationResult) -> int:
    """Reports heard by several stations appear once per station in the file."""
    _, lines = result.ais_lines()
    positions = 0
    for line in lines:
        sentence = line[1:].partition("\\")[2]
        if sentence.startswith("!AIVDM,1,1,") and sentence[14] in "1B":
            msg = pyais.NMEAMessage.from_string(sentence) if "*" in sentence else None
            positions += bool(msg is not None and msg.is_valid)
    return positions - result.ais.received.height


def test_radar_sentences_parse_with_pynmea2(shipped_runs: Runs) -> None:
    for name, (result, folder) in shipped_runs.items():
        path = folder / "radar.nmea"
        sites = {r.id for r in result.scenario.radars}
        assert path.exists() == bool(sites), name
        if not sites:
            continue
        config = tomllib.loads((folder / "sensors.toml").read_text())
        assert {r["id"] for r in config["radar"]} == sites
        kinds = set()
        for line in path.read_text().splitlines():
            tag, _, sentence = line[1:].partition("\\")
            assert tag.split(",")[0][2:] in sites
            msg = pynmea2.parse(sentence, check=True)
            kinds.add(msg.sentence_type)
            assert 0 <= int(msg.target_number) <= 999
            if msg.sentence_type == "TTM":
                assert msg.brg_ref == "T" and msg.dist_unit == "N"
                assert 0 <= float(msg.bearing) < 360
        assert kinds <= {"TTM", "TLL"}


def test_radar_contacts_only_within_range(shipped_runs: Runs) -> None:
    for name, (result, _) in shipped_runs.items():
        contacts = result.radar_contacts
        for site in result.scenario.radars:
            c = contacts.filter(pl.col("site") == site.id)
            assert c.height > 0, (name, site.id)
            assert float(c["range_m"].max()) <= site.range_m  # type: ignore[arg-type]
            real = c.filter(pl.col("vid").is_not_null())
            true_range = haversine_m(
                site.lon, site.lat, real["true_lon"].to_numpy(), real["true_lat"].to_numpy()
            )
            assert float(true_range.max()) <= site.range_m
            measured = haversine_m(site.lon, site.lat, c["lon"].to_numpy(), c["lat"].to_numpy())
            assert float(measured.max()) <= site.range_m


def test_radar_loads_through_seawatch_sources(shipped_runs: Runs) -> None:
    inputs = pytest.importorskip("seawatch.sources.inputs")
    result, folder = shipped_runs["caribbean-gofast"]
    loaded = inputs.load_inputs([folder / "radar.nmea"])
    assert loaded.rejects == []
    assert loaded.positions.height == result.radar_contacts.height


def test_no_vessel_on_land(shipped_runs: Runs) -> None:
    geo = sim_geo()
    for name, (_, folder) in shipped_runs.items():
        states = pl.read_parquet(folder / "states.parquet")
        lon, lat = states["lon"].to_numpy(), states["lat"].to_numpy()
        on_land = geo.on_land(lon, lat)
        if on_land.any():  # Natural Earth 10m is ±1 km and WPI points sit on the quay: allow port basins
            idx = np.flatnonzero(on_land)
            near_port = np.array([geo.nearest_port_m(float(lon[i]), float(lat[i]))[1] < 5_000 for i in idx])
            assert near_port.all(), (name, [(float(lon[i]), float(lat[i])) for i in idx[~near_port][:5]])


def test_no_vessel_on_land_per_seawatch_geo(shipped_runs: Runs) -> None:
    """The same check with the project's own land mask (seawatch.geo), away from port basins."""
    land = pytest.importorskip("seawatch.geo.land")
    geo = sim_geo()
    for name, (_, folder) in shipped_runs.items():
        states = pl.read_parquet(folder / "states.parquet").filter(pl.col("sog_kn") > 0.5)
        lon, lat = states["lon"].to_numpy(), states["lat"].to_numpy()
        idx = np.flatnonzero(land.is_on_land(lon, lat))
        far = [i for i in idx.tolist() if geo.nearest_port_m(float(lon[i]), float(lat[i]))[1] >= 5_000]
        assert far == [], (name, [(float(lon[i]), float(lat[i])) for i in far[:5]])


def test_speeds_within_type_limits(shipped_runs: Runs) -> None:
    for name, (result, folder) in shipped_runs.items():
        states = pl.read_parquet(folder / "states.parquet")
        cats = {v.vid: v.category for v in result.vessels}
        top = states.group_by("vid").agg(pl.col("sog_kn").max()).iter_rows()
        for vid, sog in top:
            assert sog <= CATEGORIES[cats[vid]].max_speed_kn, (name, vid, sog)
        ais_sog = result.ais.received["sog_kn"].to_numpy()
        assert ais_sog.min() >= 0 and ais_sog.max() < 60


def test_truth_is_event_json(shipped_runs: Runs) -> None:
    for _, folder in shipped_runs.values():
        for obj in _truth(folder):
            assert obj["type"] in EVENT_TYPES
            event = Event.from_json(obj)
            assert event.to_json() == obj
            assert event.start <= event.end


def test_sar_files(shipped_runs: Runs) -> None:
    result, folder = shipped_runs["caribbean-gofast"]
    with (folder / "sar_detections.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert tuple(rows[0].keys()) == SAR_COLUMNS
    assert len(rows) == result.sar.height > 0
    geojson = json.loads((folder / "sar_detections.geojson").read_text())
    assert len(geojson["features"]) == len(rows)
    scenes = json.loads((folder / "sar_scenes.geojson").read_text())
    assert scenes["features"][0]["geometry"]["type"] == "Polygon"
    assert {r["scene_id"] for r in rows} == {f["properties"]["scene_id"] for f in scenes["features"]}


def _types(folder: Path) -> dict[str, list[dict[str, object]]]:
    out: dict[str, list[dict[str, object]]] = {}
    for obj in _truth(folder):
        out.setdefault(str(obj["type"]), []).append(obj)
    return out


def test_gofast_truth(shipped_runs: Runs) -> None:
    _, folder = shipped_runs["caribbean-gofast"]
    truth = _types(folder)
    fast = [
        e
        for e in truth["speed_anomaly"]
        if any(str(v).startswith("gf-") for v in e["details"]["sim_vessels"])
    ]  # type: ignore[index]
    assert {e["details"]["sim_vessels"][0] for e in fast} == {  # type: ignore[index]
        "gf-paraguana-aruba-0",
        "gf-guajira-dr-0",
        "gf-venezuela-pr-0",
    }
    assert all(e["mmsi"] == [] and e["details"]["sensor"] == "radar" for e in fast)  # type: ignore[index]
    dark = {e["details"]["sim_vessels"][0] for e in truth["dark_target"]}  # type: ignore[index]
    assert {"gf-paraguana-aruba-0", "gf-guajira-dr-0", "gf-venezuela-pr-0"} <= dark
    # no go-fast ever transmits AIS
    vessels = pl.read_csv(folder / "vessels.csv")
    assert vessels.filter(pl.col("vid").str.starts_with("gf-"))["ais"].to_list() == [False] * 3


def test_sts_truth(shipped_runs: Runs) -> None:
    result, folder = shipped_runs["sts-transfer"]
    truth = _types(folder)
    pair = {v.mmsi for v in result.vessels if v.vid.startswith("sts-bonaire")}
    enc = [e for e in truth["encounter"] if set(e["mmsi"]) == pair]  # type: ignore[arg-type]
    assert len(enc) == 1
    dark_mmsi = next(v.mmsi for v in result.vessels if v.vid == "sts-bonaire-1")
    gaps = [e for e in truth["ais_gap"] if e["mmsi"] == [dark_mmsi]]
    assert len(gaps) == 1 and gaps[0]["details"]["duration_s"] >= 6 * 3600  # type: ignore[index]


def test_dark_fleet_truth(shipped_runs: Runs) -> None:
    result, folder = shipped_runs["dark-fleet"]
    truth = _types(folder)
    assert [e["mmsi"] for e in truth["identity_conflict"]] == [[352001234]]
    spoofer = next(v.mmsi for v in result.vessels if v.vid == "spoofer-0")
    assert [e["mmsi"] for e in truth["position_jump"]] == [[spoofer], [spoofer]]
    loiterer = next(v for v in result.vessels if v.vid == "eez-loiterer-0")
    assert [e["mmsi"] for e in truth["loitering"]] == [[loiterer.mmsi]]
    assert [e["mmsi"] for e in truth["watchlist_hit"]] == [[loiterer.mmsi]]
    assert [loiterer.mmsi] in [e["mmsi"] for e in truth["zone_entry"]]
    gap_tanker = next(v.mmsi for v in result.vessels if v.vid == "gap-tanker-0")
    assert [gap_tanker] in [e["mmsi"] for e in truth["ais_gap"]]
    watch = list(csv.DictReader((folder / "watchlist.csv").open()))
    assert [(r["kind"], int(r["value"])) for r in watch] == [("mmsi", loiterer.mmsi)]
    zones = json.loads((folder / "zones.geojson").read_text())
    assert zones["features"][0]["properties"]["kind"] == "eez"


def test_busy_port_has_only_background_truth(shipped_runs: Runs) -> None:
    result, folder = shipped_runs["busy-port"]
    assert all(v.role == "background" for v in result.vessels)
    assert set(_types(folder)) <= {"port_visit", "ais_gap", "loitering", "encounter", "rendezvous"}
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["vessels"] == len(result.vessels) > 80


def test_dark_target_truth_needs_the_plots_the_product_needs(shipped_runs: Runs) -> None:
    """A radar dark target in the truth is a stretch of at least 3 dark plots of one vessel (fusion's
    `dark_min_contacts`): one or two stray plots are no alert any system could raise without raising
    clutter too)."""
    for name in shipped_runs:
        for event in _types(shipped_runs[name][1]).get("dark_target", []):
            if event["details"]["sensor"] == "radar":  # type: ignore[index]
                assert event["details"]["contacts"] >= 3, (name, event)  # type: ignore[index]
