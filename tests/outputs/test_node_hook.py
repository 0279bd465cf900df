"""`[[outputs]]` in a node's settings file: read with the rest, started and stopped with the node."""

from __future__ import annotations

import socket
from pathlib import Path

from seawatch.node.settings import load_settings
from tests.node.harness import free_port, running_node


def test_outputs_from_the_settings_file_start_with_the_node(tmp_path: Path) -> None:
    port = free_port()
    config = tmp_path / "node.toml"
    config.write_text(
        'node_id = "out-test"\n'
        "[[outputs]]\n"
        f'name = "plotter"\nkind = "tcp"\nhost = "127.0.0.1"\nport = {port}\ninterval_s = 1\n'
        '[outputs.policy]\ntrack_sources = ["ais"]\n'
    )
    settings = load_settings(config, data_dir=tmp_path / "data", port=free_port())
    assert settings.outputs[0].name == "plotter" and settings.outputs[0].policy == {"track_sources": ["ais"]}
    with running_node(settings, wait_feeds=False), socket.create_connection(("127.0.0.1", port), timeout=5):
        pass  # a plotter can connect
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        still_open = True
    except OSError:
        still_open = False
    assert not still_open  # stopped with the node
