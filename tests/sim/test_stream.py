"""Live output: time-ordered lines, pacing, stdout / TCP / UDP sinks, and the simulate CLI."""

from __future__ import annotations

import json
import socket
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from seawatch.cli import main
from seawatch.errors import ConfigError
from seawatch.sim.stream import (
    TcpServerSink,
    UdpSink,
    iter_scenario_lines,
    open_sink,
    paced,
    parse_speed,
    stream_scenario,
)
from tests.sim.test_determinism import SMALL


@pytest.fixture()
def small(tmp_path: Path) -> Path:
    path = tmp_path / "small.toml"
    path.write_text(SMALL, encoding="utf-8")
    return path


def test_iter_scenario_lines_is_time_ordered_ais_and_radar(sim_data: None, small: Path) -> None:
    items = list(iter_scenario_lines(small))
    times = [t for t, _ in items]
    assert times == sorted(times)
    assert all(t.tzinfo is not None for t in times[:10])
    assert any("!AIVDM" in line for _, line in items) and any("$RATTM" in line for _, line in items)
    # the tag block time is the yielded time
    t, line = items[len(items) // 2]
    assert f"c:{int(t.timestamp())}" in line


def test_parse_speed() -> None:
    assert parse_speed("realtime") == 1.0
    assert parse_speed("x10") == 10.0
    assert parse_speed("60") == 60.0
    with pytest.raises(ConfigError):
        parse_speed("fast")


def test_paced_sleeps_by_simulated_time() -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    lines = [(t0 + timedelta(seconds=s), str(s)) for s in (0, 10, 10, 30)]
    now = [0.0]
    slept: list[float] = []

    def sleep(d: float) -> None:
        slept.append(d)
        now[0] += d

    out = list(paced(lines, 10.0, sleep=sleep, clock=lambda: now[0]))
    assert [line for _, line in out] == ["0", "10", "10", "30"]
    assert slept == pytest.approx([1.0, 2.0])


def test_tcp_server_sink_sends_lines_to_a_client() -> None:
    sink = TcpServerSink("127.0.0.1", 0, wait_s=5)
    received: list[bytes] = []

    def client() -> None:
        with socket.create_connection(("127.0.0.1", sink.port), timeout=5) as conn:
            buf = b""
            while buf.count(b"\n") < 2:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                buf += chunk
            received.append(buf)

    th = threading.Thread(target=client)
    th.start()
    sink.send("!AIVDM,first")
    sink.send("!AIVDM,second")
    th.join(5)
    sink.close()
    assert received == [b"!AIVDM,first\r\n!AIVDM,second\r\n"]


def test_udp_sink() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as rx:
        rx.bind(("127.0.0.1", 0))
        rx.settimeout(5)
        sink = open_sink(f"udp://127.0.0.1:{rx.getsockname()[1]}")
        assert isinstance(sink, UdpSink)
        sink.send("$RATTM,x")
        sink.close()
        assert rx.recv(1024) == b"$RATTM,x\r\n"


def test_bad_stream_target() -> None:
    with pytest.raises(ConfigError, match="expected -, tcp://host:port"):
        open_sink("http://x:1")


def test_stream_scenario_to_a_sink(sim_data: None, small: Path) -> None:
    class ListSink(UdpSink):
        def __init__(self) -> None:
            self.lines: list[str] = []

        def send(self, line: str) -> None:
            self.lines.append(line)

        def close(self) -> None:
            return None

    from seawatch.sim.scenario import load_scenario

    sink = ListSink()
    sent = stream_scenario(load_scenario(small), None, sink, None)
    assert sent == len(sink.lines) > 100


def test_simulate_cli_writes_files(
    sim_data: None, small: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert main(["simulate", "--scenario", str(small), "--out", str(out), "--seed", "9"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 9 and manifest["ais_lines"] > 0
    assert (out / "truth.jsonl").exists() and (out / "sensors.toml").exists()
    assert '"scenario": "small"' in capsys.readouterr().err


def test_simulate_cli_stdout_stream(sim_data: None, small: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--scenario", str(small), "--stream", "-"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("\\s:") and any("$RATTM" in x for x in lines)


def test_simulate_cli_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--scenario", "atlantis", "--out", str(tmp_path)]) == 1
    assert "unknown scenario 'atlantis'" in capsys.readouterr().err
    assert main(["simulate", "--scenario", "busy-port"]) == 1
    assert "--out DIR" in capsys.readouterr().err


def test_simulate_cli_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--list"]) == 0
    out = capsys.readouterr().out
    assert "caribbean-gofast" in out and "busy-port" in out
