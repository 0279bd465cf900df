from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from seawatch.share.localbroker import LocalNatsServer


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[LocalNatsServer]:
    server = LocalNatsServer(tmp_path / "nats")
    server.start()
    try:
        yield server
    finally:
        server.stop()
