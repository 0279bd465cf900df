"""The hardening pieces on their own (no node process): line buffering, token and reject stores, log
redaction, JSON depth, login throttle, `seawatch settings` with API overrides, file modes."""

from __future__ import annotations

import io
import json
import logging
import random
import sqlite3
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from seawatch.api.auth import LoginThrottle, add_user, new_token, verify_password
from seawatch.api.limits import json_depth
from seawatch.api.redact import MASK, RedactSecrets, redact
from seawatch.cli import main
from seawatch.model import Rejected
from seawatch.sources.net import LineBuffer
from seawatch.store.rejects import SAMPLES_PER_REASON
from seawatch.store.sqlite import SqliteStore


def _split(buffer: LineBuffer, data: bytes, rng: random.Random) -> list[bytes]:
    out, i = b"", 0
    while i < len(data):
        n = rng.randint(1, 50)
        out += buffer.feed(data[i : i + n])
        i += n
    out += buffer.flush()
    return [line for line in out.split(b"\n") if line]


def test_line_buffer_gives_the_lines_however_the_stream_is_cut() -> None:
    rng = random.Random(7)
    for _ in range(200):
        lines = [b"x" * rng.choice([1, 5, 60, 99, 100, 150, 400]) for _ in range(20)]
        buffer = LineBuffer(max_line_bytes=120)
        got = _split(buffer, b"\n".join(lines) + b"\n", rng)
        # a line is kept when it fits the limit with its newline; longer ones are dropped and counted
        assert got == [line for line in lines if len(line) < 120]
        assert buffer.overlong == sum(len(line) >= 120 for line in lines)


def test_line_buffer_holds_at_most_the_limit_of_an_endless_line() -> None:
    buffer = LineBuffer(max_line_bytes=64 * 1024)
    chunk = b"A" * 65536
    for _ in range(800):  # 50 MiB without a newline
        assert buffer.feed(chunk) == b""
        assert sum(len(p) for p in buffer._parts) <= 2 * 65536
    assert buffer.overlong == 1 and buffer.take_overlong()[0].startswith(b"AAAA")
    assert buffer.feed(b"tail of it\n!AIVDM,good\n") == b"!AIVDM,good\n"


def test_tokens_list_revoke_and_password_change(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path)
    try:
        store.add_user("ana", "analyst", "hash")
        later = datetime.now(UTC) + timedelta(days=1)
        for h, kind in (("a" * 64, "session"), ("b" * 64, "session"), ("c" * 64, "api")):
            store.add_token(h, "ana", kind, later, label=kind)
        listed = store.tokens("ana")
        assert [t.id for t in listed] == ["a" * 16, "b" * 16, "c" * 16]  # ids, never the hashes
        assert store.revoke_token("a" * 16) is not None and store.revoke_token("a" * 16) is None
        assert store.revoke_token("b") is None  # a prefix shorter than an id revokes nothing
        assert store.revoke_tokens("ana", kind="session", keep_hash="b" * 64) == 0
        assert store.revoke_tokens("ana") == 2
        store.add_token("d" * 64, "ana", "api", later)
        assert store.delete_user("ana") and store.tokens() == []
        assert (stat.S_IMODE((tmp_path / "seawatch.db").stat().st_mode)) == 0o600
    finally:
        store.close()


def test_reject_samples_are_kept_per_source_and_reason(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path)
    try:
        store.record_rejects([Rejected("x" * 10_000, "line_too_long: over 65536 bytes", "tcp")])
        for _ in range(5):
            store.record_rejects([Rejected(f"junk {i}", "bad_checksum: *00", "tcp") for i in range(1000)])
        store.record_rejects([Rejected("$RATTM", "no sensor", "radar")])
        samples = store.reject_samples(1000)
        tcp = [s for s in samples if s["source"] == "tcp"]
        assert len(tcp) == SAMPLES_PER_REASON + 1
        assert any(s["reason"].startswith("line_too_long") and len(s["raw"]) == 500 for s in tcp)
        assert [s["raw"] for s in samples if s["source"] == "radar"] == ["$RATTM"]
        counts = {(c["source"], c["reason"]): c["count"] for c in store.reject_counts()}
        expected = {("tcp", "line_too_long"): 1, ("tcp", "bad_checksum"): 5000, ("radar", "no sensor"): 1}
        assert counts == expected
    finally:
        store.close()


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        ('127.0.0.1:5 - "GET /api/live?token=s3cr3tTOKEN HTTP/1.1" 101', "s3cr3tTOKEN"),
        ("Authorization: Bearer abc.DEF-123_x", "abc.DEF-123_x"),
        ('{"username": "x", "password": "hunter22"}', "hunter22"),
        ("cookie: seawatch_session=SESSIONVALUE; other=1", "SESSIONVALUE"),
        ("/login?user=a&password=pw1234&next=/", "pw1234"),
    ],
)
def test_secrets_are_masked(line: str, secret: str) -> None:
    assert secret not in redact(line) and MASK in redact(line)


def test_the_access_log_arguments_are_masked() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecrets())
    log = logging.getLogger("test.access")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.warning('%s - "%s %s"', "127.0.0.1", "GET", "/api/live?token=abcdefSECRET")
    finally:
        log.removeHandler(handler)
    assert "abcdefSECRET" not in stream.getvalue() and "token=[redacted]" in stream.getvalue()


def test_json_depth_ignores_brackets_in_strings() -> None:
    assert json_depth(b'{"a": [1, {"b": "[[[[{{{"}]}') == 3
    assert json_depth(b'"\\"[[["') == 0
    assert json_depth(b"[" * 10_000) == 10_000


def test_login_throttle_grows_per_address_and_forgets_on_success() -> None:
    throttle = LoginThrottle(free_failures=2, base_delay_s=1.0, max_delay_s=8.0, max_entries=3)
    for now in (0.0, 0.0, 0.0, 10.0, 30.0, 60.0, 100.0):
        throttle.failed("admin", "10.0.0.9", now)
    assert throttle.wait_s("admin", "10.0.0.9", 100.0) == 8.0  # capped
    assert throttle.wait_s("admin", "10.0.0.1", 100.0) == 0.0  # elsewhere: not slowed
    throttle.succeeded("admin", "10.0.0.9")
    assert throttle.wait_s("admin", "10.0.0.9", 100.0) == 0.0
    for i in range(10):
        throttle.failed(f"u{i}", "10.0.0.9", 0.0)
    assert len(throttle._failures) == 3  # bounded


def test_unknown_users_are_checked_against_a_hash_too() -> None:
    assert verify_password(None, "anything") is False
    assert verify_password("", "anything") is False


def test_settings_show_the_policies_set_through_the_api(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    config = tmp_path / "node.toml"
    config.write_text(
        'node_id = "bb"\n[federation]\nprivate_key_file = "bb.key"\n'
        '[[federation.partners]]\nid = "tt"\npublic_key = "x"\n'
        '[federation.partners.policy]\nkinds = ["event"]\n'
    )
    with sqlite3.connect(data / "share.sqlite") as db:
        db.execute("CREATE TABLE share_policy (partner TEXT PRIMARY KEY, policy BLOB, t REAL)")
        policy = json.dumps({"kinds": ["track"]})
        db.execute("INSERT INTO share_policy VALUES ('tt', ?, 1780000000)", (policy,))
    assert main(["settings", "--config", str(config), "--data-dir", str(data)]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["federation"]["partners"][0]["policy"] == {"kinds": ["track"]}
    assert shown["overrides"] == [
        {"setting": "federation.partners[tt].policy", "set_by": "api", "at": "2026-05-28T20:26:40Z"}
    ]


def test_api_tokens_can_follow_a_command_line_flag(tmp_path: Path) -> None:
    """A token is pasted after `--token` (e.g. `seawatch ingest`): argparse takes a value starting with
    '-' for a flag, and one url-safe token in 64 would start so."""
    store = SqliteStore(tmp_path)
    add_user(store, "ops", "operator", None)
    tokens = [new_token(store, "ops", "api", None) for _ in range(1000)]
    store.close()
    assert len(set(tokens)) == 1000
    assert not [t for t in tokens if t.startswith("-")]
    assert sum("-" in t for t in tokens) > 100  # still the whole url-safe alphabet
