"""The picture re-broadcast as NMEA, read by a real consumer: gpsd (Debian) connected over TCP or
listening for UDP, `gpspipe -w` printing what it decoded; the raw stream parsed with pyais and pynmea2.
Vessels, positions and names equal the picture's within AIS's precision; what the output's policy
withholds never appears."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pyais
import pynmea2
import pytest

from seawatch.outputs.service import NmeaOutput
from seawatch.outputs.settings import NmeaOutputSettings
from seawatch.share.localbroker import free_port
from seawatch.sources.csv_ais import load_csv
from seawatch.store.base import TrackState
from tests.shared import require_shared

RING = [[-74.08, 40.55], [-73.95, 40.55], [-73.95, 40.70], [-74.08, 40.70], [-74.08, 40.55]]
AREA = {"type": "Polygon", "coordinates": [RING]}
AIS_DEG = 1 / 600_000  # AIS positions are in 1/10000 minute


def _need(program: str) -> str:
    path = shutil.which(program) or (
        f"/usr/sbin/{program}" if os.path.exists(f"/usr/sbin/{program}") else None
    )
    if path is None:
        message = f"{program} not installed (Debian gpsd, gpsd-clients: scripts/install-system-deps.sh)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="module")
def picture() -> list[TrackState]:
    """The last state of 40 real vessels of New York harbour (names from their static reports), and
    three dark radar targets, one outside the area."""
    data = load_csv(require_shared("ais-tracks-us-coastal-2020", "NYHarbor_2020_06_30_first_hour.csv.gz"))
    names = {r["mmsi"]: r for r in data.statics.iter_rows(named=True)}
    last = data.positions.sort("t").unique("mmsi", keep="last").sort("mmsi")
    inside = last["lon"].is_between(-74.08, -73.95) & last["lat"].is_between(40.55, 40.70)
    last = pl.concat([last.filter(inside).head(25), last.filter(~inside).head(15)])
    states = [
        TrackState(track_id=f"mmsi:{r['mmsi']}", time=datetime.fromtimestamp(r["t"], UTC), lat=r["lat"],
                   lon=r["lon"], mmsi=r["mmsi"], sog_kn=r["sog_kn"], cog_deg=r["cog_deg"],
                   heading_deg=r["heading_deg"], name=(names.get(r["mmsi"]) or {}).get("shipname"),
                   ship_type=(names.get(r["mmsi"]) or {}).get("ship_type"), sources=("ais",))
        for r in last.iter_rows(named=True)
    ]  # fmt: skip
    newest = max(s.time for s in states)
    for i, (lat, lon) in enumerate([(40.60, -74.03), (40.66, -74.00), (40.40, -73.80)]):
        states.append(TrackState(track_id=f"radar:ny:{i}", time=newest, lat=lat, lon=lon, sog_kn=25.0,
                                 cog_deg=180.0, sources=("radar",), dark=True))  # fmt: skip
    return states


def _inside(s: TrackState) -> bool:
    return -74.08 <= s.lon <= -73.95 and 40.55 <= s.lat <= 40.70


@asynccontextmanager
async def _output(picture: list[TrackState], **kw: Any) -> AsyncIterator[NmeaOutput]:
    settings = NmeaOutputSettings(name="plotter", interval_s=0.3, static_interval_s=1.0, max_age_s=86400,
                                  **{"port": 1, **kw})  # fmt: skip
    if settings.kind == "tcp":
        settings.port = 0
    out = NmeaOutput(settings, lambda: picture)
    await out.start()
    try:
        yield out
    finally:
        await out.stop()


async def _gpsd_reports(
    source: str, want_mmsis: set[int], tmp: Path, timeout_s: float = 40
) -> list[dict[str, Any]]:
    """Start gpsd on `source`, read `gpspipe -w` until every wanted MMSI has a position and a static
    report (or time runs out); return the AIS reports."""
    port = free_port()
    gpsd = await asyncio.create_subprocess_exec(
        _need("gpsd"), "-N", "-n", "-S", str(port), "-F", str(tmp / "gpsd.sock"), source,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    reports: list[dict[str, Any]] = []
    try:
        await asyncio.sleep(0.5)
        pipe = await asyncio.create_subprocess_exec(_need("gpspipe"), "-w", f"127.0.0.1:{port}",
                                                    stdout=subprocess.PIPE)  # fmt: skip
        assert pipe.stdout is not None
        try:
            async with asyncio.timeout(timeout_s):
                positions: set[int] = set()
                statics: set[int] = set()
                while not (want_mmsis <= positions and want_mmsis <= statics):
                    line = await pipe.stdout.readline()
                    if not line:
                        break
                    msg = json.loads(line)
                    if msg.get("class") == "AIS":
                        reports.append(msg)
                        (positions if msg["type"] == 1 else statics).add(msg["mmsi"])
        except TimeoutError:
            pass
        finally:
            pipe.terminate()
            await pipe.wait()
    finally:
        gpsd.terminate()
        await gpsd.wait()
    return reports


def _check_reports(
    reports: list[dict[str, Any]], picture: list[TrackState], released: list[TrackState]
) -> None:
    by_mmsi = {s.mmsi: s for s in released}
    seen = {m["mmsi"] for m in reports}
    assert seen == set(by_mmsi), "gpsd saw exactly the released vessels"
    withheld = {s.mmsi for s in picture if s.mmsi is not None} - set(by_mmsi)
    assert withheld and not (seen & withheld)
    for m in reports:
        state = by_mmsi[m["mmsi"]]
        if m["type"] == 1:
            assert (
                abs(m["lat"] / 600_000 - state.lat) <= AIS_DEG
                and abs(m["lon"] / 600_000 - state.lon) <= AIS_DEG
            )
            if state.sog_kn is not None:
                assert abs(m["speed"] / 10 - state.sog_kn) <= 0.05 + 1e-9
            assert m["second"] == state.time.second
        elif m["type"] == 5:
            assert m["shipname"] == (state.name or "").upper()[:20].strip()
            assert m["shiptype"] == (state.ship_type or 0)


def test_tcp_stream_read_by_gpsd(picture: list[TrackState], tmp_path: Path) -> None:
    released = [s for s in picture if s.mmsi is not None and _inside(s)]
    assert 5 < len(released) < 40

    async def run() -> tuple[list[dict[str, Any]], bytes]:
        async with _output(
            picture, kind="tcp", policy={"track_sources": ["ais", "radar"], "areas": [AREA]}
        ) as out:
            raw_reader, raw_writer = await asyncio.open_connection("127.0.0.1", out.port)  # a second client
            reports = await _gpsd_reports(
                f"tcp://127.0.0.1:{out.port}", {s.mmsi for s in released if s.mmsi is not None}, tmp_path
            )
            raw = await raw_reader.read(1 << 20)
            raw_writer.close()
            return reports, raw

    reports, raw = asyncio.run(run())
    _check_reports(reports, picture, released)
    assert {m["type"] for m in reports} == {1, 5}
    # the raw stream: AIVDM that pyais decodes, TLL that pynmea2 parses (the dark targets inside the area)
    lines = raw.decode("ascii").splitlines()
    tll = [pynmea2.parse(x) for x in lines if x.startswith("$RATLL")]
    dark_inside = [s for s in picture if s.dark and _inside(s)]
    assert len(dark_inside) == 2
    for state in dark_inside:
        assert any(abs(t.latitude - state.lat) < 1e-5 and abs(t.longitude - state.lon) < 1e-5 and
                   t.target_name.startswith("DARK") for t in tll)  # fmt: skip
    assert not any(abs(t.latitude - 40.40) < 1e-3 for t in tll)  # the one outside the area: withheld
    vdm = [x for x in lines if x.startswith("!AIVDM,1,1")]
    decoded = [pyais.decode(x).asdict() for x in vdm]
    assert {d["mmsi"] for d in decoded} <= {s.mmsi for s in released}


def test_udp_datagrams_read_by_gpsd(picture: list[TrackState], tmp_path: Path) -> None:
    released = [s for s in picture if s.mmsi is not None]  # anywhere, AIS only: dark targets withheld
    port = free_port(socket.SOCK_DGRAM)

    async def run() -> list[dict[str, Any]]:
        async with _output(
            picture, kind="udp", host="127.0.0.1", port=port, policy={"track_sources": ["ais"]}
        ):
            return await _gpsd_reports(
                f"udp://127.0.0.1:{port}", {s.mmsi for s in released if s.mmsi is not None}, tmp_path
            )

    reports = asyncio.run(run())
    by_mmsi = {s.mmsi: s for s in released}
    assert {m["mmsi"] for m in reports} == set(by_mmsi)
    for m in reports:
        if m["type"] == 1:
            s = by_mmsi[m["mmsi"]]
            assert abs(m["lat"] / 600_000 - s.lat) <= AIS_DEG and abs(m["lon"] / 600_000 - s.lon) <= AIS_DEG


def test_the_default_policy_sends_nothing(picture: list[TrackState]) -> None:
    out = NmeaOutput(NmeaOutputSettings(name="nobody", port=10110), lambda: picture)
    assert out.sentences(with_statics=True) == []
    assert out.counts["withheld"] > 0 and out.counts["withheld"] + out.counts["stale"] == len(picture)


def test_policy_fields_withheld_identity_goes_out_as_a_target(picture: list[TrackState]) -> None:
    """A policy that strips identity: no MMSI may leave, so vessels go out as anonymous TLL targets."""
    policy = {"track_sources": ["ais"], "strip_fields": ["@identity"]}
    out = NmeaOutput(NmeaOutputSettings(name="anon", port=10110, policy=policy), lambda: picture)
    lines = out.sentences(with_statics=True)
    assert lines and all(x.startswith("$RATLL") for x in lines)
    names = {str(s.mmsi) for s in picture if s.mmsi} | {(s.name or "#") for s in picture}
    assert not any(n in x for x in lines for n in names if len(n) > 3)


def test_bad_output_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown policy keys"):
        NmeaOutputSettings(name="x", port=10110, policy={"tracks": ["ais"]})
    with pytest.raises(ValueError):
        NmeaOutputSettings(name="x", port=70000)


def test_a_tcp_client_that_stops_reading_is_dropped_not_waited_for(picture: list[TrackState]) -> None:
    async def run() -> tuple[dict[str, int], int]:
        async with _output(picture, kind="tcp", max_client_buffer_bytes=4096,
                           policy={"track_sources": ["ais"]}) as out:  # fmt: skip
            _, stalled = await asyncio.open_connection("127.0.0.1", out.port)  # never reads
            _, second = await asyncio.open_connection("127.0.0.1", out.port)
            await asyncio.sleep(0.1)
            lines = out.sentences(with_statics=True) * 2000  # ~10 MB: more than the socket buffers hold
            for _ in range(20):
                out.send(lines)
                await asyncio.sleep(0.01)
                if out.counts["dropped_clients"]:
                    break
            clients = len(out._clients)
            stalled.close()
            second.close()
            return out.counts, clients

    counts, clients = asyncio.run(run())
    assert counts["dropped_clients"] >= 1 and clients <= 1
