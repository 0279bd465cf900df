"""Node benchmark: the whole live path (TCP NMEA in → decode → fusion → live detectors → SQLite/Parquet
store → live bus → WebSocket client) on the real US coastal AIS day, encoded as tag-blocked AIVDM lines.

1. Highest rate: every line sent as fast as TCP takes it; msgs/s until the last one is committed
   (fusion track stage, then the per-MMSI fallback), with a WebSocket client reading all deltas.
2. Sustained 5,000 msg/s for 20 s with probes: every 50 ms a position of a new watch-listed MMSI;
   latency = its `watchlist_hit` event arriving at the WebSocket client − the probe's send (p50/p99).
3. 50,000 live tracks (synthetic positions over the Gulf and Caribbean): process RSS, and the
   `GET /api/tracks?bbox=` latency (p50/p95) over random 10°×10° boxes and the whole region.

Run: `.venv/bin/python -m bench.node.run [--no-write]`. Appends a `## node` section to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import random
import re
import socket
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import numpy as np
import polars as pl
import psutil
from pyais.encode import encode_dict
from websockets.sync.client import connect

from seawatch.model import Observation, SensorKind
from seawatch.node.settings import ApiSettings, FeedSettings, NodeSettings, PipelineSettings
from seawatch.shared_data import shared_data_path
from seawatch.sim.nmea import encode_positions, tag_block, tag_blocks
from seawatch.timeutil import utc_from_epoch
from tests.node.harness import RunningNode, free_port, running_node

RESULTS = Path(__file__).resolve().parent.parent / "RESULTS.md"
SOURCE = ("ais-tracks-us-coastal-2020", "US_coastal_2020_06_30.csv.gz")
REGION = (-98.0, 8.0, -60.0, 31.0)


def us_day_lines() -> list[tuple[int, str]]:
    """The US coastal day as tag-blocked type 1 AIVDM lines in time order (speed/course derived)."""
    frame = (
        pl.read_csv(shared_data_path(*SOURCE))
        .with_columns(pl.col("timestamp_utc").str.to_datetime("%Y-%m-%d %H:%M:%S").dt.epoch("s").alias("t"))
        .sort("mmsi", "t")
    )
    timed: list[tuple[int, str]] = []
    for (mmsi,), g in frame.group_by("mmsi", maintain_order=True):
        t = g["t"].to_numpy()
        lat, lon = g["lat"].to_numpy(), g["lon"].to_numpy()
        dt_h = np.maximum(np.diff(t, prepend=t[0]), 1) / 3600
        dn = np.diff(lat, prepend=lat[0]) * 60
        de = np.diff(lon, prepend=lon[0]) * 60 * np.cos(np.radians(lat))
        sog = np.clip(np.hypot(dn, de) / dt_h, 0, 102)
        cog = np.degrees(np.arctan2(de, dn)) % 360
        n = len(t)
        lines = encode_positions(
            1, int(mmsi), lon, lat, sog, cog, cog, t % 60, np.zeros(n, np.int64), np.array(["A"] * n)
        )
        tags = tag_blocks("bench", t)
        timed += [(int(ti), tag + line) for ti, tag, line in zip(t.tolist(), tags, lines, strict=True)]
    timed.sort(key=lambda x: x[0])
    return timed


def probe_line(mmsi: int, lat: float, lon: float, epoch_s: int) -> str:
    """A position of `mmsi` stamped with the data time of the load it travels with."""
    msg = {"type": 1, "mmsi": mmsi, "lat": lat, "lon": lon, "speed": 12.0, "course": 90.0}
    return tag_block("probe", epoch_s) + encode_dict(msg, radio_channel="A", talker_id="AI")[0]


class WsRecorder(threading.Thread):
    """Reads every live message; remembers when each watchlist_hit event (by MMSI) arrived."""

    def __init__(self, url: str, token: str) -> None:
        super().__init__(daemon=True)
        self.ws = connect(url, additional_headers={"Authorization": f"Bearer {token}"}, max_size=None)
        self.messages = 0
        self.hits: dict[int, float] = {}
        self.closed = False

    def run(self) -> None:
        try:
            for raw in self.ws:
                self.messages += 1
                if '"watchlist_hit"' in raw:
                    data = json.loads(raw)["data"]
                    self.hits.setdefault(data["mmsi"][0], time.perf_counter())
        except Exception:
            pass
        self.closed = True


def settings_for(data_dir: Path, tracker: str, tcp_port: int) -> NodeSettings:
    return NodeSettings(
        node_id="bench",
        data_dir=data_dir,
        port=free_port(),
        feeds=[FeedSettings(name="tcp-in", kind="listen_tcp", port=tcp_port, timeout_s=3600)],
        api=ApiSettings(rate_limit_per_s=1e6, rate_limit_burst=1_000_000, ws_client_buffer=1_000_000),
        pipeline=PipelineSettings(tracker=tracker),  # type: ignore[arg-type]
    )


def wait_received(node: RunningNode, count: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while sum(node.node.metrics.received.values()) < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {sum(node.node.metrics.received.values())} of {count} committed")
        time.sleep(0.01)


def max_rate(timed: list[tuple[int, str]], tracker: str) -> dict[str, float]:
    lines = [line for _, line in timed]
    tcp_port = free_port()
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_node(settings_for(Path(tmp), tracker, tcp_port), False) as rn,
    ):
        ws = WsRecorder(rn.url.replace("http", "ws") + "/api/live", rn.tokens["viewer"])
        ws.start()
        payload = ("\n".join(lines) + "\n").encode()
        time.sleep(0.5)
        proc = psutil.Process()
        cpu0 = sum(proc.cpu_times()[:2])
        started = time.perf_counter()
        with socket.create_connection(("127.0.0.1", tcp_port)) as sock:
            sock.sendall(payload)
        wait_received(rn, len(lines), 900)
        elapsed = time.perf_counter() - started
        cpu_s = sum(proc.cpu_times()[:2]) - cpu0
        time.sleep(0.5)
        return {
            "msgs": len(lines),
            "seconds": elapsed,
            "rate": len(lines) / elapsed,
            "cpu_s": cpu_s,
            "rate_per_cpu_s": len(lines) / cpu_s,
            "ws_messages": ws.messages,
            "ws_dropped": rn.node.bus.dropped_clients,
            "tracks": len(rn.node.live),
            "events": rn.node.metrics.events,
        }


def sustained(timed: list[tuple[int, str]], rate_per_s: float, seconds: float) -> dict[str, float]:
    lines = [line for _, line in timed]
    tcp_port = free_port()
    tmp = tempfile.mkdtemp()
    result: dict[str, float] = {}
    with running_node(settings_for(Path(tmp), "fusion", tcp_port), False) as rn:
        probes = [999_000_000 + i for i in range(int(seconds / 0.05) + 10)]
        for mmsi in probes:
            rn.node.store.add_watch({"mmsi": mmsi, "reason": "bench probe"})
        rn.node.refresh_watchlist()
        ws = WsRecorder(rn.url.replace("http", "ws") + "/api/live", rn.tokens["viewer"])
        ws.start()
        time.sleep(0.5)
        sent_at: dict[int, float] = {}
        depth_max = 0.0
        step_s = 0.05
        per_step = int(rate_per_s * step_s)
        total = int(rate_per_s * seconds)
        sent = 0
        started = time.perf_counter()
        with socket.create_connection(("127.0.0.1", tcp_port)) as sock:
            k = 0
            while sent < min(total, len(lines)) and k < len(probes):
                target = started + k * step_s
                delay = target - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                chunk = lines[sent : sent + per_step]
                sock.sendall(("\n".join(chunk) + "\n").encode())
                sent += len(chunk)
                mmsi = probes[k]
                epoch_s = timed[max(sent - 1, 0)][0]
                line = probe_line(mmsi, 15.0 + random.random(), -75.0 + random.random(), epoch_s)
                sent_at[mmsi] = time.perf_counter()
                sock.sendall((line + "\n").encode())
                depth_max = max(depth_max, rn.node.gauges()["queue_depth"])
                k += 1
            send_s = time.perf_counter() - started
            wait_received(rn, sent + k, 120)
        time.sleep(1.0)
        lat = np.array([ws.hits[m] - t for m, t in sent_at.items() if m in ws.hits])
        result = {
            "target_rate": rate_per_s,
            "achieved_rate": sent / send_s,
            "probes": len(sent_at),
            "probes_seen": len(lat),
            "p50_ms": float(np.percentile(lat, 50) * 1000) if len(lat) else float("nan"),
            "p99_ms": float(np.percentile(lat, 99) * 1000) if len(lat) else float("nan"),
            "max_ms": float(lat.max() * 1000) if len(lat) else float("nan"),
            "queue_max": depth_max,
            "ws_dropped": rn.node.bus.dropped_clients,
        }
    return result


def many_tracks(rn: RunningNode, count: int = 50_000) -> dict[str, float]:
    proc = psutil.Process()
    rss_before = proc.memory_info().rss
    node = rn.node
    when = utc_from_epoch(node.data_time_s or time.time())
    rng = np.random.default_rng(1)
    lons = rng.uniform(REGION[0], REGION[2], count)
    lats = rng.uniform(REGION[1], REGION[3], count)
    obs = [
        Observation(
            when,
            float(la),
            float(lo),
            SensorKind.AIS,
            "bench",
            mmsi=200_000_000 + i,
            sog_kn=10.0,
            cog_deg=45.0,
        )
        for i, (lo, la) in enumerate(zip(lons, lats, strict=True))
    ]
    assert node.loop is not None
    started = time.perf_counter()
    for i in range(0, count, 5000):
        asyncio.run_coroutine_threadsafe(node.submit("bench", obs[i : i + 5000]), node.loop).result(300)
    load_s = time.perf_counter() - started
    del obs
    live = len(node.live_tracks())
    rss_after = proc.memory_info().rss
    times: list[float] = []
    sizes: list[int] = []
    boxes = [REGION] * 10
    for _ in range(100):
        lon0 = random.uniform(REGION[0], REGION[2] - 10)
        lat0 = random.uniform(REGION[1], REGION[3] - 10)
        boxes.append((lon0, lat0, lon0 + 10, lat0 + 10))
    headers = {"Authorization": f"Bearer {rn.tokens['viewer']}"}
    with httpx.Client(base_url=rn.url, headers=headers, timeout=120) as client:
        client.get("/api/tracks", params={"bbox": ",".join(map(str, REGION))})
        for box in boxes:
            t0 = time.perf_counter()
            response = client.get("/api/tracks", params={"bbox": ",".join(f"{v:.4f}" for v in box)})
            times.append(time.perf_counter() - t0)
            sizes.append(len(response.json()["features"]))
    whole = np.array(times[:10]) * 1000
    regional = np.array(times[10:]) * 1000
    return {
        "live_tracks": live,
        "load_50k_s": load_s,
        "rss_mb": rss_after / 2**20,
        "rss_delta_mb": (rss_after - rss_before) / 2**20,
        "bbox_p50_ms": float(np.percentile(regional, 50)),
        "bbox_p95_ms": float(np.percentile(regional, 95)),
        "bbox_mean_features": float(np.mean(sizes[10:])),
        "region_p95_ms": float(np.percentile(whole, 95)),
        "region_features": float(sizes[0]),
    }


def section(a_fused: dict[str, float], a_latest: dict[str, float], b: dict[str, float], load: str) -> str:
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    rows = [
        ("measure", "result", "target"),
        ("---", "---", "---"),
        (
            "highest rate, fusion track stage (decode → fuse → detect → store → WS)",
            f"{a_fused['rate']:,.0f} msg/s ({a_fused['msgs']:,.0f} in {a_fused['seconds']:.1f} s)",
            "5,000 msg/s",
        ),
        (
            "same, per CPU-second used by the node process (load-independent capacity of one core)",
            f"{a_fused['rate_per_cpu_s']:,.0f} msg/CPU-s ({a_fused['cpu_s']:.0f} CPU-s)",
            "",
        ),
        (
            "highest rate, per-MMSI fallback track stage (wall / per CPU-second)",
            f"{a_latest['rate']:,.0f} msg/s / {a_latest['rate_per_cpu_s']:,.0f} msg/CPU-s",
            "",
        ),
        (
            "WebSocket deltas received (fusion run) / clients dropped",
            f"{a_fused['ws_messages']:,.0f} / {a_fused['ws_dropped']:.0f}",
            "",
        ),
        (
            f"sustained {b['target_rate']:,.0f} msg/s for 20 s (fusion): rate achieved, max queue depth",
            f"{b['achieved_rate']:,.0f} msg/s, {b['queue_max']:,.0f}",
            "",
        ),
        (
            f"sentence in → event at WS client, p50 / p99 / max ({b['probes_seen']:.0f}/{b['probes']:.0f})",
            f"{b['p50_ms']:.0f} / {b['p99_ms']:.0f} / {b['max_ms']:.0f} ms",
            "p99 < 1 s",
        ),
        (
            f"same at {b['low_target_rate']:,.0f} msg/s: achieved, p50 / p99 / max latency, max queue depth",
            f"{b['low_achieved_rate']:,.0f} msg/s, {b['low_p50_ms']:.0f} / {b['low_p99_ms']:.0f} / "
            f"{b['low_max_ms']:.0f} ms, {b['low_queue_max']:,.0f}",
            "",
        ),
        (
            "50,000 live tracks: process RSS (growth for them)",
            f"{b['rss_mb']:,.0f} MB (+{b['rss_delta_mb']:,.0f} MB)",
            "",
        ),
        (
            f"`GET /api/tracks?bbox=` 10°×10°, 50 k tracks, p50 / p95 (mean {b['bbox_mean_features']:,.0f})",
            f"{b['bbox_p50_ms']:.1f} / {b['bbox_p95_ms']:.1f} ms",
            "p95 < 100 ms",
        ),
        (
            f"same, whole Gulf + Caribbean ({b['region_features']:,.0f} features), p95",
            f"{b['region_p95_ms']:.0f} ms",
            "",
        ),
    ]
    table = "\n".join("| " + " | ".join(r) + " |" for r in rows)
    return f"""## node

`bench/node/run.py` ({day}, {platform.python_version()}, 2 cores shared with other jobs): real US coastal
AIS day (235,967 fixes, 1,185 vessels) as tag-blocked AIVDM over TCP into one node process
(uvicorn + API + store), one WebSocket client reading every delta. Load average during the run: {load}.

{table}

The node is one Python process (one core at most for the pipeline); it got
{a_fused["cpu_s"] / a_fused["seconds"]:.0%} of a core during the fusion run (the CPU-seconds include the
benchmark's own sender and WebSocket client threads, which run in the same process).
Where the time goes (py-spy over the whole run, 2026-12-01; samples of the process's busy threads):
the benchmark's own sender and WebSocket client about 28 %, live detectors, the SQLite/Parquet store,
the WebSocket and uvicorn about 12 % each, fusion about 8 %, AIS decode about 6 % (the compiled scan of
each TCP read about 1 %, making positions into `Observation`s the rest; decode was about a fifth of the
node's time with the numpy decoder).
Earlier rounds: 3,663 msg/s with per-line pyais decode and one pyproj call per fused track (alert p99
3.7 s at 5,000 msg/s: saturation); 8,114 msg/s and p99 633 ms on 2026-11-23 with the numpy decoder.
The replay packs 24 h of data into well under a minute, so each committed batch spans many minutes of
data time and fusion cuts it into many small scan batches; a live feed gives fusion fewer, larger ones.
"""


def write_results(text: str) -> None:
    current = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    current = re.sub(r"\n## node\n.*?(?=\n## |\Z)", "\n", current, flags=re.S).rstrip("\n") + "\n\n"
    RESULTS.write_text(current + text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--limit", type=int, default=0, help="use only the first N lines (quick check)")
    args = parser.parse_args()
    lines = us_day_lines()
    if args.limit:
        lines = lines[: args.limit]
    print(f"{len(lines)} lines", flush=True)
    a_latest = max_rate(lines, "latest")
    print("max rate latest", a_latest, flush=True)
    a_fused = max_rate(lines, "fusion")
    print("max rate fusion", a_fused, flush=True)
    b = sustained(lines, 5000.0, 20.0)
    print("sustained", b, flush=True)
    low = sustained(lines, 1000.0, 20.0)
    print("sustained 1000", low, flush=True)
    b.update({f"low_{k}": v for k, v in low.items()})
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_node(settings_for(Path(tmp), "fusion", free_port()), False) as rn,
    ):
        b.update(many_tracks(rn))
    print("50k tracks", b, flush=True)
    load = ", ".join(f"{x:.1f}" for x in psutil.getloadavg())
    text = section(a_fused, a_latest, b, load)
    print(text)
    if not args.no_write:
        write_results(text)


if __name__ == "__main__":
    main()
