"""Feeds under attack, on the running node's TCP and UDP listening feeds, with the real Norwegian AIS
sample as the good data: a 50 MiB line without a newline and a junk flood on TCP, a junk flood on
UDP, while good lines keep arriving beside them. Good data is decoded in full, the bad is counted
per source and reason (kept in the store), a bounded sample of it is kept per source, and UDP drops
are shown in the feed status."""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path
from typing import Any

from tests.security.conftest import FIGURES, NodeProc
from tests.security.helpers import real_nmea_lines

BIG_LINE_MIB = 50
JUNK_LINES = 100_000


def _feed(node: NodeProc, name: str) -> dict[str, Any]:
    return dict(node.health()["feeds"][name])


def _settled(node: NodeProc, name: str, key: str = "received") -> dict[str, Any]:
    """The feed's counters once they stop moving (everything sent has been committed)."""
    last, still = None, 0
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        now = _feed(node, name)
        still = still + 1 if last is not None and now[key] == last[key] else 0
        if still >= 4:
            return now
        last = now
        time.sleep(0.25)
    raise AssertionError(f"feed {name} never settled")


def _good(counts: dict[str, Any]) -> int:
    """Good reports of a feed: decoded, or recognised as a repeat of one already heard."""
    return int(counts["decoded"]) + int(counts.get("duplicate", 0))


def _send_tcp(port: int, *parts: bytes) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        for part in parts:
            sock.sendall(part)


def test_a_50_mib_line_and_junk_on_tcp_while_good_data_flows(node: NodeProc) -> None:
    good = b"\n".join(real_nmea_lines()) + b"\n"
    before = _settled(node, "tcp-in")
    _send_tcp(node.tcp_port, good)
    clean = _settled(node, "tcp-in")
    # a report already heard within 2 s (this sample sent again) is a duplicate: kept count, not decoded
    per_send = _good(clean) - _good(before)
    assert per_send > 100  # the real sample decodes

    chunk = b"A" * (1024 * 1024)
    junk = b"".join(
        b"!AIVDM,junk,%d,*ZZ\n" % i if i % 2 else b"\x01\xfe%s\xff\n" % os.urandom(20).hex().encode()
        for i in range(JUNK_LINES)
    )
    latencies: list[float] = []

    def big_line() -> None:  # good lines, then 50 MiB with no newline, then good lines again
        _send_tcp(node.tcp_port, good, *([chunk] * BIG_LINE_MIB), b"\n", good)

    def steady() -> None:  # another sender's good data, meanwhile
        for _ in range(3):
            _send_tcp(node.tcp_port, good)
            time.sleep(0.2)

    senders = [
        threading.Thread(target=big_line),
        threading.Thread(target=steady),
        threading.Thread(target=_send_tcp, args=(node.tcp_port, junk)),
    ]
    started = time.monotonic()
    for sender in senders:
        sender.start()
    with node.client("viewer") as viewer:
        while any(s.is_alive() for s in senders):
            t0 = time.monotonic()
            assert viewer.get("/api/health").status_code == 200  # the API answers throughout
            latencies.append(time.monotonic() - t0)
            time.sleep(0.1)
    for sender in senders:
        sender.join()
    sent_s = time.monotonic() - started
    after = _settled(node, "tcp-in")
    decoded = _good(after) - _good(clean)
    assert decoded == 5 * per_send  # every good line around and beside the attack (decoded or duplicate)
    assert after["overlong_lines"] - clean["overlong_lines"] == 1
    with node.client("analyst") as analyst:
        counts = {(c["source"], c["reason"]): c["count"] for c in analyst.get("/api/rejects/counts").json()}
    assert counts[("tcp-in", "line_too_long")] >= 1
    rejected = sum(n for (source, _), n in counts.items() if source == "tcp-in")
    assert rejected >= JUNK_LINES
    FIGURES["tcp_attack"] = {
        "big_line_mib": BIG_LINE_MIB,
        "junk_lines": JUNK_LINES,
        "good_lines_decoded": decoded,
        "rejected_counted": rejected,
        "seconds_to_send": round(sent_s, 1),
        "api_health_max_s": round(max(latencies), 3),
        "api_health_median_s": round(sorted(latencies)[len(latencies) // 2], 3),
    }


def _proc_udp_drops(port: int) -> int | None:
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            return None
        for row in rows:
            fields = row.split()
            if int(fields[1].split(":")[1], 16) == port:
                return int(fields[12])
    return None


def test_junk_flood_on_udp_while_good_data_flows(node: NodeProc) -> None:
    good = real_nmea_lines()
    before = _settled(node, "udp-in")
    sent_good = 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for i in range(JUNK_LINES):
            junk = b"!AIVDM,1,1,,A,%d junk,0*00\n" % i if i % 2 else b"$GPJNK,%d,not ais*00\n" % i
            sock.sendto(junk, ("127.0.0.1", node.udp_port))
            if i % 100 == 0:
                sock.sendto(good[sent_good % len(good)] + b"\n", ("127.0.0.1", node.udp_port))
                sent_good += 1
    after = _settled(node, "udp-in", "udp_datagrams")
    datagrams = after["udp_datagrams"] - before["udp_datagrams"]
    dropped = (after["udp_kernel_drops"] or 0) - (before["udp_kernel_drops"] or 0)
    queue_dropped = after["udp_queue_drops"] - before["udp_queue_drops"]
    received = after["received"] - before["received"]
    assert after["decoded"] > before["decoded"]  # good lines got through the flood
    assert after["udp_kernel_drops"] is not None  # Linux: the kernel's count is shown
    assert after["udp_kernel_drops"] == _proc_udp_drops(node.udp_port)
    # nothing vanishes silently: every datagram sent was read by the node or counted by the kernel as
    # dropped (and of those read, the ones the feed's full queue could not take are counted too)
    assert datagrams + dropped == JUNK_LINES + sent_good
    assert received + queue_dropped <= datagrams
    FIGURES["udp_attack"] = {
        "datagrams_sent": JUNK_LINES + sent_good,
        "good_sent": sent_good,
        "read_by_node": datagrams,
        "items_received": received,
        "kernel_drops": dropped,
        "queue_drops": queue_dropped,
        "decoded": after["decoded"] - before["decoded"],
    }


def test_junk_cannot_flush_another_sources_evidence(node: NodeProc) -> None:
    """After the floods above, each source and reason still has its own sample of recent rejects: the
    50 MiB line is still there after 100,000 junk lines from the same connection."""
    with node.client("analyst") as analyst:
        samples = analyst.get("/api/rejects", params={"limit": 1000}).json()
    by_source: dict[str, int] = {}
    for sample in samples:
        by_source[sample["source"]] = by_source.get(sample["source"], 0) + 1
    assert by_source.get("tcp-in", 0) > 0 and by_source.get("udp-in", 0) > 0, by_source
    assert max(by_source.values()) <= 200
    assert any(s["reason"].startswith("line_too_long") for s in samples if s["source"] == "tcp-in")
