"""Nothing acknowledged is lost, nothing duplicated, under SIGKILL of the sender, the receiver and the
broker in turn while items flow (real processes, real nats-server, bounded in time).

"Acknowledged" here is what the sender confirmed to whoever reported the item: its id is appended to
`acked` only after `Federation.publish` returned (the item is in the fsynced outbox). At the end every
acknowledged id must be in the receiver's store exactly once per sequence number; an id may appear a
second time only if it was the one in flight (published, not yet acknowledged) when the sender died,
which its reporter would have sent again.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from seawatch.share.envelope import generate_key, private_key_to_text
from seawatch.share.localbroker import LocalNatsServer

pytestmark = pytest.mark.broker
ROOT = Path(__file__).resolve().parents[2]


def _spawn(role: str, base: Path, url: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    log = open(base / f"{role}.log", "ab")  # noqa: SIM115 - the child owns it
    return subprocess.Popen(
        [sys.executable, "-m", "tests.share.fault_worker", role, str(base), url],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def _kill(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)


def _query(db: Path, sql: str) -> list[tuple[Any, ...]]:
    if not db.exists():
        return []
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return conn.execute(sql).fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        conn.close()


def _acked(base: Path) -> list[str]:
    path = base / "acked"
    return path.read_text().split() if path.exists() else []


def _queued(outbox_db: Path) -> int:
    rows = _query(outbox_db, "SELECT COALESCE(SUM(count), 0) FROM share_outbox")
    return int(rows[0][0]) if rows else 0


def _kill_sender_with_items_queued(
    server: LocalNatsServer, sender: subprocess.Popen[bytes], outbox_db: Path
) -> int:
    """SIGKILL the sender while its outbox holds items; return how many it held.

    On a fast machine the outbox drains as soon as an item lands, so a kill at a random moment finds it
    empty and proves nothing. The broker is paused (SIGSTOP) meanwhile: publishing still succeeds (the
    item is in the fsynced outbox) but nothing leaves until the broker resumes.
    """
    assert server.proc is not None
    server.proc.send_signal(signal.SIGSTOP)
    try:
        deadline = time.monotonic() + 20
        while (queued := _queued(outbox_db)) == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        _kill(sender)
        return queued
    finally:
        server.proc.send_signal(signal.SIGCONT)


def test_kill9_sender_receiver_broker_nothing_acked_lost(tmp_path: Path) -> None:
    base = tmp_path
    (base / "keys").mkdir()
    for n in ("bb", "tt"):
        (base / "keys" / f"{n}.key").write_text(private_key_to_text(generate_key()))
    server = LocalNatsServer(base / "nats")
    server.start()
    procs = {"sender": _spawn("sender", base, server.url), "receiver": _spawn("receiver", base, server.url)}
    outbox_db, received_db = base / "bb" / "share.sqlite", base / "tt" / "share.sqlite"
    in_flight: set[str] = set()
    kills = {"sender": 0, "receiver": 0, "broker": 0}
    queued_at_kill = 0
    try:
        deadline = time.monotonic() + 90
        while len(_acked(base)) < 50:  # the sender is up and producing
            assert time.monotonic() < deadline, (base / "sender.log").read_text()[-2000:]
            time.sleep(0.2)
        for round_no in range(9):
            victim = ("sender", "receiver", "broker")[round_no % 3]
            time.sleep(0.6)
            before = len(_acked(base))
            if victim == "broker":
                server.stop()  # SIGKILL
                time.sleep(0.5)
                server.start()
            else:
                if victim == "sender":
                    queued_at_kill += _kill_sender_with_items_queued(server, procs["sender"], outbox_db)
                else:
                    _kill(procs[victim])
                if victim == "sender":
                    acked = _acked(base)
                    in_flight.add(f"s{int(acked[-1][1:]) + 1}" if acked else "s1")
                time.sleep(0.3)
                procs[victim] = _spawn(victim, base, server.url)
            kills[victim] += 1
            deadline = time.monotonic() + 90
            while victim == "sender" and len(_acked(base)) <= before:
                assert time.monotonic() < deadline, "sender made no progress after restart"
                time.sleep(0.1)
        (base / "stop").touch()
        time.sleep(0.5)
        acked = _acked(base)
        deadline = time.monotonic() + 150
        while True:
            got = {
                orjson.loads(p)["id"] for (p,) in _query(received_db, "SELECT payload FROM share_received")
            }
            if set(acked) <= got or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                _kill(proc)
        server.stop()
    # the kills came while work was in progress (else they prove nothing)
    assert all(n == 3 for n in kills.values())
    assert queued_at_kill > 0, "the sender never died with items queued"
    rows = _query(received_db, "SELECT origin, seq, payload FROM share_received")
    ids = [orjson.loads(p)["id"] for _o, _s, p in rows]
    lost = set(acked) - set(ids)
    assert not lost, f"{len(lost)} acknowledged items lost, e.g. {sorted(lost)[:5]}"
    seqs = [(o, s) for o, s, _p in rows]
    assert len(seqs) == len(set(seqs))  # (origin, seq) kept once
    twice = {i for i in ids if ids.count(i) > 1}
    assert twice <= in_flight, f"duplicated beyond the in-flight retries: {sorted(twice - in_flight)[:5]}"
    seen = _query(received_db, "SELECT COUNT(*) FROM share_seen")[0][0]
    quarantined = _query(received_db, "SELECT COUNT(*) FROM share_quarantine")[0][0]
    assert seen == len(rows) + quarantined  # marked seen only together with being kept
    assert len(acked) > 300
    # audits consistent on both sides: every kept item audited as received once, and as sent by bb
    received_audit = _query(received_db, "SELECT seq FROM share_audit WHERE action = 'received'")
    assert sorted(int(r[0]) for r in received_audit) == sorted(int(s) for _o, s in seqs)
    sent_rows = _query(outbox_db, "SELECT seq FROM share_audit WHERE action = 'sent'")
    sent_audit = {int(r[0]) for r in sent_rows}
    assert {int(s) for _o, s in seqs} <= sent_audit
