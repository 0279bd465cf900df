"""Sessions and tokens under attack: a live WebSocket is bound to its credential and closes when it
ends (logout, expiry, revocation, password change, role change, user removed); a foreign Origin is
refused; API tokens expire; old credentials stop working at once over REST."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.security.conftest import FIGURES, NodeProc
from tests.security.helpers import real_nmea_lines, udp_traffic, wait_closed

CLOSE_POLICY = 1008
SEAWATCH = [sys.executable, "-m", "seawatch"]


def _new_user(node: NodeProc, name: str, role: str = "viewer") -> str:
    password = f"pw-{name}-long-enough"
    with node.client("admin") as admin:
        answer = admin.post("/api/users", json={"name": name, "role": role, "password": password})
        assert answer.status_code == 201, answer.text
    node.secrets.append(password)
    return password


def _live(node: NodeProc, token: str, origin: str | None = None) -> object:
    return connect(
        node.ws_url(),
        additional_headers={"Cookie": f"seawatch_session={token}"},
        origin=origin,  # type: ignore[arg-type]
        open_timeout=10,
    )


def _closing(node: NodeProc, action_name: str, ws: object, act: object) -> None:
    with udp_traffic(node.udp_port, real_nmea_lines()):
        time.sleep(0.3)
        act()  # type: ignore[operator]
        code, reason, after = wait_closed(ws)
    assert code == CLOSE_POLICY, (code, reason)
    FIGURES.setdefault("websocket_closed_after", {})[action_name] = {
        "reason": reason,
        "messages_after": after,
    }


def test_logout_closes_the_live_stream(node: NodeProc) -> None:
    password = _new_user(node, "ws-logout")
    with node.client() as browser:
        token = node.login("ws-logout", password, browser)
        with _live(node, token, origin=node.url) as ws:  # type: ignore[attr-defined]
            _closing(node, "logout", ws, lambda: browser.post("/api/auth/logout").raise_for_status())
        assert browser.get("/api/auth/me", cookies={"seawatch_session": token}).status_code == 401


def test_revoked_token_closes_the_live_stream_and_rest(node: NodeProc) -> None:
    password = _new_user(node, "ws-revoke")
    token = node.login("ws-revoke", password)
    with node.client("admin") as admin:
        listed = admin.get("/api/tokens", params={"user": "ws-revoke"}).json()
        (entry,) = listed
        assert entry["kind"] == "session" and "token" not in entry and entry["expires_at"]
        with _live(node, token) as ws:  # type: ignore[attr-defined]
            _closing(
                node,
                "revoke (API)",
                ws,
                lambda: admin.delete(f"/api/tokens/{entry['id']}").raise_for_status(),
            )
    with node.client() as c:
        assert c.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_cli_revocation_reaches_a_running_node(node: NodeProc) -> None:
    password = _new_user(node, "ws-cli")
    token = node.login("ws-cli", password)
    with _live(node, token) as ws:  # type: ignore[attr-defined]

        def revoke_all() -> None:
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "seawatch",
                    "user",
                    "revoke-all",
                    "ws-cli",
                    "--data-dir",
                    str(node.data_dir),
                ],
                check=True,
                capture_output=True,
            )

        _closing(node, "seawatch user revoke-all", ws, revoke_all)


def test_password_change_ends_other_sessions(node: NodeProc) -> None:
    password = _new_user(node, "ws-pw")
    with node.client() as here, node.client() as elsewhere:
        node.login("ws-pw", password, here)
        other = node.login("ws-pw", password, elsewhere)
        with _live(node, other) as ws:  # type: ignore[attr-defined]

            def change() -> None:
                body = {"current_password": password, "new_password": "a-brand-new-password"}
                answer = here.post("/api/auth/password", json=body)
                assert answer.status_code == 200 and answer.json()["ended_sessions"] == 1

            _closing(node, "password change", ws, change)
        node.secrets.append("a-brand-new-password")
        assert here.get("/api/auth/me").status_code == 200  # the session that changed it stays
        assert elsewhere.get("/api/auth/me").status_code == 401


def test_role_change_and_removal_close_the_stream(node: NodeProc) -> None:
    password = _new_user(node, "ws-role", role="analyst")
    token = node.login("ws-role", password)
    with node.client("admin") as admin:
        with _live(node, token) as ws:  # type: ignore[attr-defined]
            demote = {"name": "ws-role", "role": "viewer"}
            _closing(
                node, "role change", ws, lambda: admin.post("/api/users", json=demote).raise_for_status()
            )
        token = node.login("ws-role", password)
        with _live(node, token) as ws:  # type: ignore[attr-defined]
            _closing(node, "user removed", ws, lambda: admin.delete("/api/users/ws-role").raise_for_status())
        assert (
            admin.post("/api/auth/login", json={"username": "ws-role", "password": password}).status_code
            == 401
        )


def test_expired_session_closes_the_stream(strict_node: NodeProc) -> None:
    token = strict_node.login("viewer", strict_node.passwords["viewer"])
    with _live(strict_node, token) as ws:  # type: ignore[attr-defined]
        started = time.monotonic()
        code, reason, _ = wait_closed(ws, timeout_s=20)
    assert code == CLOSE_POLICY and reason == "session ended"
    FIGURES["session_expiry_close_s"] = {"ttl_s": 4, "closed_after_s": round(time.monotonic() - started, 1)}
    with strict_node.client() as c:
        assert c.get("/api/auth/me", cookies={"seawatch_session": token}).status_code == 401


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://127.0.0.1.evil.example"])
def test_foreign_origin_is_refused(node: NodeProc, origin: str) -> None:
    with pytest.raises(InvalidStatus) as refused:
        _live(node, node.tokens["viewer"], origin=origin)
    assert refused.value.response.status_code == 403
    with _live(node, node.tokens["viewer"], origin=node.url) as ws:  # type: ignore[attr-defined]
        ws.ping().wait(5)  # the node's own page is let in


def test_api_tokens_carry_an_expiry(node: NodeProc) -> None:
    with node.client("admin") as admin:
        made = admin.post("/api/tokens", json={"user": "viewer"})
        assert made.status_code == 201
        node.secrets.append(made.json()["token"])
        listed = admin.get("/api/tokens", params={"user": "viewer"}).json()
    fresh = [t for t in listed if t["kind"] == "api" and t["expires_at"]]
    assert fresh, listed
    cli = subprocess.run(
        [*SEAWATCH, "user", "token", "viewer", "--ttl-days", "0", "--data-dir", str(node.data_dir)],
        capture_output=True,
        text=True,
    )
    assert cli.returncode == 1 and "every token expires" in cli.stderr


def test_live_viewing_is_audited(node: NodeProc) -> None:
    with _live(node, node.tokens["analyst"]) as ws:  # type: ignore[attr-defined]
        ws.ping().wait(5)
    with node.client("admin") as admin:
        deadline = time.monotonic() + 10
        while True:
            left = admin.get("/api/audit", params={"action": "live.disconnect"}).json()
            if any(row["actor"] == "analyst" for row in left) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        joined = admin.get("/api/audit", params={"action": "live.connect"}).json()
    assert any(row["actor"] == "analyst" and row["details"]["via"] == "api" for row in joined)
    assert any(row["actor"] == "analyst" and "sent" in row["details"] for row in left)
