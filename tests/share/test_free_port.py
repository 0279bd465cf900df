"""Ports handed out for one configuration never repeat (CI once gave a cluster's route and leaf port the
same number: the kernel may reuse an ephemeral port as soon as the probing socket is closed)."""

from __future__ import annotations

import socket
from unittest import mock

from seawatch.share import localbroker
from seawatch.share.localbroker import free_port


def test_ports_handed_out_are_distinct_and_bindable() -> None:
    ports = [free_port() for _ in range(300)]
    assert len(set(ports)) == len(ports)
    with socket.socket() as s:
        s.bind(("127.0.0.1", ports[-1]))  # still free


def test_a_port_the_kernel_offers_twice_is_not_handed_out_twice() -> None:
    first = free_port()
    offered = iter([first, first, 1])  # the kernel repeats itself twice, then offers a new one

    class Repeating(socket.socket):
        def getsockname(self) -> tuple[str, int]:
            return ("127.0.0.1", next(offered))

    with mock.patch.object(localbroker.socket, "socket", Repeating):
        second = free_port()
    assert second == 1
