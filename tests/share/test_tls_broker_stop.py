"""A node on the secured broker says nothing alarming when the broker stops (found running the README's
region example: each node printed asyncio's "returning true from eof_received() has no effect when
using ssl" WARNING at every broker stop, a quirk of nats-py's TLS upgrade, not a fault)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from seawatch.share.envelope import generate_key, public_key_to_text
from seawatch.share.localbroker import LocalNatsServer, free_port
from seawatch.share.region import agreement_from_dict, generate
from seawatch.share.transport import NatsTransport, TlsFiles
from tests.share.helpers import wait_until

pytestmark = pytest.mark.broker


async def test_broker_stop_logs_no_asyncio_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    port = free_port()
    raw = {
        "region": "test",
        "broker": {"host": "127.0.0.1", "port": port},
        "nations": [
            {"id": n, "public_key": public_key_to_text(generate_key().public_key())} for n in ("bb", "tt")
        ],
    }
    out = tmp_path / "region"
    generate(agreement_from_dict(raw, base=tmp_path), out)
    server = LocalNatsServer(out / "broker" / "store", port, config_file=out / "broker" / "nats-server.conf")
    server.start()
    nodes = out / "nodes" / "bb"
    tls = TlsFiles(str(nodes / "ca.pem"), str(nodes / "bb.pem"), str(nodes / "bb.key"))
    transport = NatsTransport(server.url, tls=tls, node_id="bb")
    caplog.set_level(logging.WARNING)
    try:
        await transport.start()
        await transport.ensure_outgoing("bb", ["tt"])
        assert transport.connected
        assert server.proc is not None
        server.proc.terminate()  # as `kill` does: nats-server closes its TLS connections and exits
        assert await wait_until(lambda: not transport.connected, timeout_s=30)
        # the TLS close is read on the loop: let it run a little before looking at the log
        await wait_until(lambda: False, timeout_s=1.0)
    finally:
        await transport.close()
        server.stop()
    asyncio_records = [r for r in caplog.records if r.name == "asyncio" and r.levelno >= logging.WARNING]
    assert asyncio_records == [], [r.getMessage() for r in asyncio_records]
    # only that message is dropped: asyncio's other warnings still reach the log
    logging.getLogger("asyncio").warning("something else")
    assert [r.getMessage() for r in caplog.records if r.name == "asyncio"] == ["something else"]
