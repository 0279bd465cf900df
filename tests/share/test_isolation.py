"""The secured broker, as `seawatch region init` configures it, tried the way a hostile partner or an
outsider would: every nation's credential and a client without one attempt to read, consume, ack, purge
and delete every other nation's streams and consumers. All must be refused, and the honest flow beside
the attempts must lose nothing."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nats
import pytest

from seawatch.errors import ConfigError
from seawatch.share.envelope import generate_key, public_key_to_text
from seawatch.share.federation import Federation
from seawatch.share.localbroker import LocalNatsServer, free_port
from seawatch.share.region import agreement_from_dict, generate
from seawatch.share.settings import nats_transport
from seawatch.share.transport import TlsFiles, consumer_name, inbox_prefix, stream_name
from tests.share.helpers import attack_succeeds, make_keys, make_settings, radar_track, wait_until

NATIONS = ["bb", "tt", "jm"]


@dataclass
class Region:
    out: Path
    server: LocalNatsServer

    def tls(self, nation: str) -> TlsFiles:
        d = self.out / "nodes" / nation
        return TlsFiles(str(d / "ca.pem"), str(d / f"{nation}.pem"), str(d / f"{nation}.key"))


@pytest.fixture
def region(tmp_path: Path) -> Iterator[Region]:
    port = free_port()
    raw = {
        "region": "test",
        "broker": {"host": "127.0.0.1", "port": port},
        "nations": [
            {"id": n, "public_key": public_key_to_text(generate_key().public_key())} for n in NATIONS
        ],
    }
    out = tmp_path / "region"
    generate(agreement_from_dict(raw, base=tmp_path), out)
    server = LocalNatsServer(out / "broker" / "store", port, config_file=out / "broker" / "nats-server.conf")
    server.start()
    try:
        yield Region(out, server)
    finally:
        server.stop()


def test_generated_secrets_are_private(region: Region) -> None:
    for path in [region.out / "ca" / "ca.key", region.out / "broker" / "server.key"] + [
        region.out / "nodes" / n / f"{n}.key" for n in NATIONS
    ]:
        assert path.stat().st_mode & 0o777 == 0o600, path


def test_insecure_broker_refused_unless_explicit(tmp_path: Path) -> None:
    keys = make_keys(["bb", "tt"])
    settings = make_settings("bb", keys, tmp_path)
    settings.allow_insecure_broker = False
    with pytest.raises(ConfigError, match="allow_insecure_broker"):
        nats_transport(settings)
    settings.allow_insecure_broker = True
    assert nats_transport(settings).tls is None


async def _connect(region: Region, nation: str, errors: list[str]) -> Any:
    async def on_error(exc: Exception) -> None:
        errors.append(str(exc))

    return await nats.connect(
        region.server.url,
        tls=region.tls(nation).context(),
        inbox_prefix=inbox_prefix(nation),
        error_cb=on_error,
        allow_reconnect=False,
        name=f"attacker-{nation}",
    )


@pytest.fixture
async def flowing(region: Region, tmp_path: Path) -> AsyncIterator[dict[str, Federation]]:
    """bb shares radar tracks with tt and jm over the secured broker; tt and jm do not read yet."""
    keys = make_keys(NATIONS)
    policy = {"track_sources": ["radar"]}
    feds: dict[str, Federation] = {}
    for n in NATIONS:
        settings = make_settings(n, keys, tmp_path, {p: policy for p in NATIONS if p != n}, region.server.url)
        settings.allow_insecure_broker = False
        settings.tls = region.tls(n)
        feds[n] = Federation(settings, nats_transport(settings))
    await feds["bb"].transport.start()
    feds["bb"].publish_many([radar_track(i) for i in range(20)])
    while feds["bb"].db.outbox_size():
        assert await feds["bb"].send_due() > 0
    yield feds
    for fed in feds.values():
        await fed.transport.close()
        fed.close()


async def test_every_credential_refused_on_every_other_stream(
    region: Region, flowing: dict[str, Federation]
) -> None:
    refused_attempts = 0
    for attacker in ["tt", "jm"]:
        errors: list[str] = []
        nc = await _connect(region, attacker, errors)
        for victim in [v for v in NATIONS if v != attacker]:
            stream = stream_name(victim)
            other = next(p for p in NATIONS if p not in (victim, attacker))
            their_consumer = consumer_name(other)
            attacks = {
                "purge": (f"$JS.API.STREAM.PURGE.{stream}", {}),
                "delete stream": (f"$JS.API.STREAM.DELETE.{stream}", {}),
                "stream info": (f"$JS.API.STREAM.INFO.{stream}", {}),
                "get message": (f"$JS.API.STREAM.MSG.GET.{stream}", {"seq": 1}),
                "direct get": (f"$JS.API.DIRECT.GET.{stream}", {"seq": 1}),
                "list streams": ("$JS.API.STREAM.LIST", {}),
                "stream names": ("$JS.API.STREAM.NAMES", {}),
                "list consumers": (f"$JS.API.CONSUMER.LIST.{stream}", {}),
                "create wide consumer": (
                    f"$JS.API.CONSUMER.CREATE.{stream}.spy.seawatch.{victim}.>",
                    {"stream_name": stream, "config": {"name": "spy", "durable_name": "spy"}},
                ),
                "redefine own consumer": (
                    f"$JS.API.CONSUMER.CREATE.{stream}.{consumer_name(attacker)}.seawatch.{victim}.>",
                    {"stream_name": stream, "config": {"name": consumer_name(attacker)}},
                ),
                "legacy durable create": (
                    f"$JS.API.CONSUMER.DURABLE.CREATE.{stream}.spy",
                    {"stream_name": stream, "config": {"durable_name": "spy"}},
                ),
                "ephemeral consumer": (f"$JS.API.CONSUMER.CREATE.{stream}", {"stream_name": stream}),
                "read other's consumer": (
                    f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{their_consumer}",
                    {"batch": 5},
                ),
                "other's consumer info": (f"$JS.API.CONSUMER.INFO.{stream}.{their_consumer}", {}),
                "delete other's consumer": (f"$JS.API.CONSUMER.DELETE.{stream}.{their_consumer}", {}),
                "delete own consumer": (f"$JS.API.CONSUMER.DELETE.{stream}.{consumer_name(attacker)}", {}),
                "forge on victim's subject": (f"seawatch.{victim}.{attacker}.track", {}),
            }
            results = await asyncio.gather(*(attack_succeeds(nc, s, b) for s, b in attacks.values()))
            worked = [name for name, ok in zip(attacks, results, strict=True) if ok]
            assert worked == [], f"{attacker} against {victim}: {worked}"
            refused_attempts += len(attacks)
            # acks on someone else's consumer and sniffing subjects and inboxes are refused too
            await nc.publish(f"$JS.ACK.{stream}.{their_consumer}.1.1.1.0.0", b"+ACK")
            for subject in (f"seawatch.{victim}.>", f"{inbox_prefix(victim)}.>", "_INBOX.>", ">"):
                await nc.subscribe(subject)
        await nc.flush()
        await asyncio.sleep(0.3)
        await nc.close()
        violations = [e for e in errors if "ermissions" in e]
        assert len(violations) >= refused_attempts // 2, errors[:5]
        assert any("ubscri" in e for e in violations), sorted(set(violations))[-5:]
    # nothing the attackers did touched bb's stream: tt and jm still get all 20 items each
    for reader in ["tt", "jm"]:
        fed = flowing[reader]
        await fed.transport.start()
        got = 0
        for _ in range(40):
            got += await fed.receive_from("bb", timeout_s=0.3)
            if got >= 20:
                break
        assert got == 20, reader


async def _refused(url: str, ctx: ssl.SSLContext | None) -> bool:
    try:
        nc = await nats.connect(
            url, tls=ctx, allow_reconnect=False, connect_timeout=2, max_reconnect_attempts=0
        )
    except Exception:  # nats-py raises TLS, timeout or auth errors depending on where it stopped
        return True
    await nc.close()
    return False


async def test_outsider_without_credential_cannot_connect(region: Region, tmp_path: Path) -> None:
    port = region.server.port
    assert await _refused(f"nats://127.0.0.1:{port}", None)  # plain TCP: the server insists on TLS
    ctx = ssl.create_default_context(cafile=str(region.out / "ca" / "ca.pem"))  # TLS, no certificate
    assert await _refused(region.server.url, ctx)
    # a certificate from another CA (a different region) is refused as well
    raw = {
        "region": "other",
        "broker": {"port": 1},
        "nations": [{"id": n, "public_key": "x"} for n in ("bb", "zz")],
    }
    generate(agreement_from_dict(raw, base=tmp_path), tmp_path / "other")
    foreign = tmp_path / "other" / "nodes" / "bb"
    ctx = ssl.create_default_context(cafile=str(region.out / "ca" / "ca.pem"))
    ctx.load_cert_chain(str(foreign / "bb.pem"), str(foreign / "bb.key"))
    assert await _refused(region.server.url, ctx)
    # the genuine credential connects (so the refusals above are about the credential)
    assert not await _refused(region.server.url, region.tls("bb").context())


async def test_honest_partners_share_over_the_secured_broker(flowing: dict[str, Federation]) -> None:
    tt = flowing["tt"]
    await tt.transport.start()
    got = 0
    assert await wait_until(lambda: False, timeout_s=0.0) is False
    for _ in range(40):
        got += await tt.receive_from("bb", timeout_s=0.3)
        if got >= 20:
            break
    assert got == 20
    assert [r.seq for r in tt.db.received(origin="bb")] == sorted(r.seq for r in tt.db.received(origin="bb"))


async def test_broker_store_holds_no_readable_payload(region: Region, flowing: dict[str, Federation]) -> None:
    """What the broker's operator can read on disk: routing metadata only (subjects), no payload."""
    store = region.out / "broker" / "store"
    blobs = b"".join(p.read_bytes() for p in store.rglob("*") if p.is_file())
    assert b"seawatch.bb.tt.track" in blobs  # the messages are there (the check below means something)
    for secret in (b"bb-r1", b"bb-radar-1", b"13.1", b"-59.6", b"payload"):
        assert secret not in blobs
