"""A nation's broker credential stolen: `seawatch region reissue` gives the nation a new one and the hub,
once it reloads its configuration, refuses the old one: the thief's open session is closed, a new
connection with the stolen certificate is refused, and the honest flow goes on with the new credential,
nothing lost. Real nats-server, configured by `seawatch region init`; the command run as an admin would."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import nats
import pytest
from cryptography import x509

from seawatch.errors import ConfigError
from seawatch.share.envelope import public_key_to_text
from seawatch.share.federation import Federation
from seawatch.share.localbroker import LocalNatsServer, free_port
from seawatch.share.region import (
    CREDENTIALS_FILE,
    agreement_from_dict,
    broker_user,
    credential_generations,
    generate,
    island_config,
    load_agreement,
    reissue,
    server_config,
)
from seawatch.share.settings import nats_transport
from seawatch.share.transport import TlsFiles, inbox_prefix
from tests.share.helpers import make_keys, make_settings, radar_track, wait_until

NATIONS = ["bb", "tt", "jm"]
pytestmark = pytest.mark.broker


def _region_toml(path: Path, keys: dict[str, Any], port: int, island: str | None = None) -> Path:
    lines = ['region = "test"', "[broker]", 'host = "127.0.0.1"', f"port = {port}"]
    if island:
        lines.append(f"leafnode_port = {free_port()}")
    for n in NATIONS:
        lines += ["[[nations]]", f'id = "{n}"', f'public_key = "{public_key_to_text(keys[n].public_key())}"']
        if n == island:
            lines += ["island = true", f"island_port = {free_port()}"]
    path.write_text("\n".join(lines) + "\n")
    return path


def _tls(folder: Path, nation: str) -> TlsFiles:
    return TlsFiles(str(folder / "ca.pem"), str(folder / f"{nation}.pem"), str(folder / f"{nation}.key"))


def _seawatch(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "seawatch", *args], capture_output=True, text=True, timeout=120
    )


async def _connect(url: str, tls: TlsFiles, nation: str, closed: asyncio.Event | None = None) -> Any:
    async def on_closed() -> None:
        if closed is not None:
            closed.set()

    return await nats.connect(
        url,
        tls=tls.context(),
        inbox_prefix=inbox_prefix(nation),
        allow_reconnect=False,
        max_reconnect_attempts=0,
        connect_timeout=3,
        closed_cb=on_closed,
    )


async def test_a_stolen_credential_is_refused_once_reissued(tmp_path: Path) -> None:
    keys = make_keys(NATIONS)
    port = free_port()
    config = _region_toml(tmp_path / "region.toml", keys, port)
    out = tmp_path / "region"
    made = _seawatch("region", "init", "--config", str(config), "--out", str(out))
    assert made.returncode == 0, made.stderr
    jm_kit = out / "nodes" / "jm"
    stolen = tmp_path / "stolen"
    shutil.copytree(jm_kit, stolen)  # what the thief holds: jm's certificate and key as first issued
    server = LocalNatsServer(out / "broker" / "store", port, config_file=out / "broker" / "nats-server.conf")
    server.start()
    feds: dict[str, Federation] = {}
    try:
        for n in ("bb", "jm"):
            policies = {"jm": {"track_sources": ["radar"]}} if n == "bb" else {}
            settings = make_settings(n, keys, tmp_path, policies, server.url)
            settings.allow_insecure_broker, settings.tls = False, _tls(out / "nodes" / n, n)
            feds[n] = Federation(settings, nats_transport(settings))
        bb, jm = feds["bb"], feds["jm"]
        await bb.transport.start()
        bb.publish_many([radar_track(i) for i in range(10)])
        while bb.db.outbox_size():
            assert await bb.send_due() > 0
        # the thief connects with the stolen credential and stays connected
        thief_closed = asyncio.Event()
        thief = await _connect(server.url, _tls(stolen, "jm"), "jm", thief_closed)
        await thief.flush()

        done = _seawatch(
            "region", "reissue", "--config", str(config), "--out", str(out), "--nation", "jm", "--reload"
        )
        assert done.returncode == 0, done.stderr
        assert server.proc is not None and f"pid [{server.proc.pid}]" in done.stderr, done.stderr
        assert "credential 2" in done.stderr and "still accepted" not in done.stderr, done.stderr

        # the thief's session is closed and the stolen certificate no longer connects
        await asyncio.wait_for(thief_closed.wait(), timeout=10)
        with pytest.raises(Exception, match="Authorization Violation"):
            await (await _connect(server.url, _tls(stolen, "jm"), "jm")).flush()
        # jm's kit now holds the new credential: a different certificate, subject OU=credential 2,CN=jm
        new_cert = x509.load_pem_x509_certificate((jm_kit / "jm.pem").read_bytes())
        old_cert = x509.load_pem_x509_certificate((stolen / "jm.pem").read_bytes())
        assert new_cert.serial_number != old_cert.serial_number
        assert new_cert.subject.rfc4514_string() == broker_user("jm", 2) == "OU=credential 2,CN=jm"
        assert (jm_kit / "jm.key").stat().st_mode & 0o777 == 0o600
        record = json.loads((out / "ca" / CREDENTIALS_FILE).read_text())
        assert record["jm"]["generation"] == 2 and record["jm"]["revoked_serials"] == [
            format(old_cert.serial_number, "x")
        ]
        assert set(record) == {"jm"}  # bb and tt keep their first credentials

        # the honest flow goes on: bb (never reissued) shares more; jm, on its new credential, gets all
        bb.publish_many([radar_track(i) for i in range(10, 15)])
        while bb.db.outbox_size():
            assert await bb.send_due() > 0
        await jm.transport.start()
        got = 0
        for _ in range(60):
            got += await jm.receive_from("bb", timeout_s=0.3)
            if got >= 15:
                break
        assert got == 15
        assert await wait_until(lambda: thief.is_closed, timeout_s=1)
    finally:
        for fed in feds.values():
            await fed.transport.close()
            fed.close()
        server.stop()


def test_reissue_names_only_the_newest_credential_everywhere(tmp_path: Path) -> None:
    """Without a server: every hub configuration and the island's name the newest generation only; a
    second reissue moves on again; unknown nations, a region never set up and a damaged record are
    refused with a clear error, and `init --force` (a new CA) starts every nation at its first."""
    keys = make_keys(NATIONS)
    config = _region_toml(tmp_path / "region.toml", keys, free_port(), island="jm")
    agreement = load_agreement(config)
    out = tmp_path / "region"
    with pytest.raises(ConfigError, match="region init"):
        reissue(agreement, out, "jm")
    generate(agreement, out)

    def users(text: str) -> list[str]:
        return [u["user"] for u in json.loads(text)["accounts"]["SEAWATCH"]["users"]]

    assert users(server_config(agreement, out)) == ["CN=bb", "CN=tt", "CN=jm"]
    for generation in (2, 3):
        reissue(agreement, out, "jm")
        assert credential_generations(out) == {"jm": generation}
        on_disk = (out / "broker" / "nats-server.conf").read_text()
        assert users(on_disk) == ["CN=bb", "CN=tt", f"OU=credential {generation},CN=jm"]
        island = (out / "nodes" / "jm" / "island" / "nats-server.conf").read_text()
        assert island == island_config(agreement, "jm", out)
        assert users(island) == [f"OU=credential {generation},CN=jm"]
        cert = x509.load_pem_x509_certificate((out / "nodes" / "jm" / "jm.pem").read_bytes())
        assert cert.subject.rfc4514_string() == broker_user("jm", generation)
    assert len(json.loads((out / "ca" / CREDENTIALS_FILE).read_text())["jm"]["revoked_serials"]) == 2
    with pytest.raises(ConfigError, match="not a nation"):
        reissue(agreement, out, "zz")
    (out / "ca" / CREDENTIALS_FILE).write_text('{"jm": "two"}')
    with pytest.raises(ConfigError, match="not a credential record"):
        reissue(agreement, out, "jm")
    generate(agreement, out, force=True)
    assert credential_generations(out) == {}
    assert users(server_config(agreement, out))[-1] == "CN=jm"


LINKED = 'JetStream using domains: local "hub", remote "jm"'  # the hub's log: jm's leaf link is up


def _log_since(server: LocalNatsServer, offset: int) -> str:
    return (server.store_dir / "nats-server.log").read_bytes()[offset:].decode(errors="replace")


def _log_size(server: LocalNatsServer) -> int:
    path = server.store_dir / "nats-server.log"
    return path.stat().st_size if path.exists() else 0


async def test_a_stolen_island_credential_is_refused_once_the_hub_restarts(tmp_path: Path) -> None:
    """An island's credential also opens its leaf link. nats-server re-checks clients on reload but not
    leaf connections already open, so the command says the hub must restart; once it has, the thief's
    island is refused and jm's island, on the new credential, links up."""
    keys = make_keys(NATIONS)
    port = free_port()
    config = _region_toml(tmp_path / "region.toml", keys, port, island="jm")
    out = tmp_path / "region"
    assert _seawatch("region", "init", "--config", str(config), "--out", str(out)).returncode == 0
    jm_kit, stolen = out / "nodes" / "jm", tmp_path / "stolen"
    shutil.copytree(jm_kit, stolen)  # the thief's island: jm's kit as first issued, run elsewhere
    island_conf = stolen / "island" / "nats-server.conf"
    island_conf.write_text(island_conf.read_text().replace(str(jm_kit.resolve()), str(stolen.resolve())))
    island_port = json.loads(island_conf.read_text())["listen"].rsplit(":", 1)[1]
    hub = LocalNatsServer(out / "broker" / "store", port, config_file=out / "broker" / "nats-server.conf")
    thief = LocalNatsServer(stolen / "island" / "store", int(island_port), config_file=island_conf)
    honest = LocalNatsServer(
        jm_kit / "island" / "store", int(island_port), config_file=jm_kit / "island" / "nats-server.conf"
    )
    hub.start()
    try:
        thief.start()
        assert await wait_until(lambda: LINKED in _log_since(hub, 0), timeout_s=20)
        done = _seawatch(
            "region", "reissue", "--config", str(config), "--out", str(out), "--nation", "jm", "--reload"
        )
        assert done.returncode == 0, done.stderr
        assert "restart each hub server" in done.stderr, done.stderr
        hub.stop()
        restarted = _log_size(hub)
        hub.start()
        # the thief's island keeps trying (every second) and is refused each time
        assert await wait_until(
            lambda: _log_since(hub, restarted).count("Authentication Failure") >= 2, timeout_s=20
        ), _log_since(hub, restarted)
        assert LINKED not in _log_since(hub, restarted)
        thief.stop()
        honest.start()  # jm's own island, with the new credential from its kit
        assert await wait_until(lambda: LINKED in _log_since(hub, restarted), timeout_s=20), _log_since(
            hub, restarted
        )[-2000:]
    finally:
        for server in (thief, honest, hub):
            server.stop()


def test_reissue_rewrites_every_server_of_a_clustered_hub(tmp_path: Path) -> None:
    keys = make_keys(NATIONS)
    raw = {
        "region": "test",
        "broker": {
            "host": "127.0.0.1",
            "servers": [{"port": free_port(), "cluster_port": free_port()} for _ in range(3)],
        },
        "nations": [{"id": n, "public_key": public_key_to_text(keys[n].public_key())} for n in NATIONS],
    }
    agreement = agreement_from_dict(raw, base=tmp_path)
    out = tmp_path / "region"
    generate(agreement, out)
    written = reissue(agreement, out, "tt")
    for k in (1, 2, 3):
        conf = out / "broker" / f"s{k}" / "nats-server.conf"
        assert conf in written
        users = [u["user"] for u in json.loads(conf.read_text())["accounts"]["SEAWATCH"]["users"]]
        assert users == ["CN=bb", "OU=credential 2,CN=tt", "CN=jm"], (k, users)
        assert json.loads(conf.read_text())["pid_file"] == str((conf.parent / "nats-server.pid").resolve())
