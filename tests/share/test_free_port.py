"""Ports handed out for one configuration never repeat and are free when handed out (CI once gave a
cluster's route and leaf port the same number: the kernel may reuse an ephemeral port as soon as the probing
socket is closed), and lie below the kernel's ephemeral range, where no outgoing connection takes them."""

from __future__ import annotations

import socket
from pathlib import Path
from unittest import mock

from seawatch.share import localbroker
from seawatch.share.localbroker import free_port


def test_ports_handed_out_are_distinct_bindable_and_below_the_ephemeral_range() -> None:
    ports = [free_port() for _ in range(300)]
    assert len(set(ports)) == len(ports)
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    assert all(10_000 <= p < low for p in ports), (min(ports), max(ports), low)
    with socket.socket() as s:
        s.bind(("127.0.0.1", ports[-1]))  # still free


def test_a_port_drawn_twice_or_in_use_is_not_handed_out() -> None:
    first = free_port()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        draws = iter([first, taken, *range(10_001, 11_000)])  # then any free one
        with mock.patch.object(localbroker._PICK, "choice", lambda _: next(draws)):
            second = free_port()
    assert second not in (first, taken)
    assert 10_001 <= second < 11_000


def test_where_the_range_is_unknown_a_port_the_kernel_offers_twice_is_handed_out_once() -> None:
    first = free_port()
    offered = iter([first, first, 1])  # the kernel repeats itself twice, then offers a new one

    class Repeating(socket.socket):
        def getsockname(self) -> tuple[str, int]:
            return ("127.0.0.1", next(offered))

    with (
        mock.patch.object(localbroker, "_below_ephemeral", lambda: range(0)),
        mock.patch.object(localbroker.socket, "socket", Repeating),
    ):
        second = free_port()
    assert second == 1
