"""A sender or receiver federation in its own process, to be killed with SIGKILL by test_faults.py.

    python -m tests.share.fault_worker sender DIR URL    # publishes sightings s1, s2, ...; after each
                                                        # publish returns, appends its id to DIR/acked
    python -m tests.share.fault_worker receiver DIR URL  # receives into DIR/tt/share.sqlite

Keys come from DIR/keys/{bb,tt}.key (written by the test). The sender stops producing when DIR/stop
exists but keeps sending what is queued. With DIR/region (written by `seawatch.share.region.generate`)
each worker uses its nation's TLS credential, and a sender whose nation is an island there talks to its
island (`hub_domain`).
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from seawatch.share.envelope import load_private_key
from seawatch.share.federation import Federation
from seawatch.share.policy import SharePolicy
from seawatch.share.settings import FederationSettings, nats_transport
from seawatch.share.transport import TlsFiles


def settings(node: str, base: Path, url: str) -> FederationSettings:
    keys = {n: load_private_key(base / "keys" / f"{n}.key") for n in ("bb", "tt")}
    partner = "tt" if node == "bb" else "bb"
    region = base / "region" / "nodes" / node
    if region.is_dir():
        return FederationSettings(
            node_id=node,
            nats_url=url,
            private_key=keys[node],
            db_path=base / node / "share.sqlite",
            partner_keys={partner: keys[partner].public_key()},
            policies={"tt": SharePolicy.from_dict("tt", {"sightings": True})} if node == "bb" else {},
            tls=TlsFiles(str(region / "ca.pem"), str(region / f"{node}.pem"), str(region / f"{node}.key")),
            hub_domain="hub" if (region / "island").is_dir() else None,
        )
    return FederationSettings(
        node_id=node,
        nats_url=url,
        private_key=keys[node],
        db_path=base / node / "share.sqlite",
        partner_keys={partner: keys[partner].public_key()},
        policies={"tt": SharePolicy.from_dict("tt", {"sightings": True})} if node == "bb" else {},
        allow_insecure_broker=True,
    )


async def sender(base: Path, url: str) -> None:
    fed = Federation(settings("bb", base, url), nats_transport(settings("bb", base, url)))
    await fed.start()
    acked_path = base / "acked"
    done = acked_path.read_text().split() if acked_path.exists() else []
    i = int(done[-1][1:]) if done else 0
    with open(acked_path, "a") as acked:
        while not (base / "stop").exists():
            i += 1
            item = {"id": f"s{i}", "t": 1.7e9 + i, "lat": 13.0, "lon": -59.5, "notes": "x"}
            fed.publish({"kind": "sighting", "data": item})  # returns once it is in the fsynced outbox
            acked.write(f"s{i}\n")  # only now is it "acknowledged" to whoever reported it
            acked.flush()
            os.fsync(acked.fileno())
            await asyncio.sleep(0.004)
    while True:  # keep draining the outbox until killed
        await asyncio.sleep(1.0)


async def receiver(base: Path, url: str) -> None:
    fed = Federation(settings("tt", base, url), nats_transport(settings("tt", base, url)))
    await fed.start()
    while True:
        await asyncio.sleep(1.0)


if __name__ == "__main__":
    role, directory, broker_url = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    asyncio.run(sender(directory, broker_url) if role == "sender" else receiver(directory, broker_url))
