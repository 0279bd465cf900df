"""Rate-limit bypass attempts against a running node (burst 20, 2 requests/s per client).

A client is the user its credential authenticates, else its address. Each attempt comes from its own
loopback address (127.0.1.x) so that the attempts do not share a bucket."""

from __future__ import annotations

import secrets
import socket
import time
from collections.abc import Callable

import httpx

from seawatch.api.limits import TokenBuckets
from tests.security.conftest import FIGURES, NodeProc
from tests.security.helpers import client_from

BURST, RATE_PER_S = 20, 2.0
TRIES = 60


def _flood(client: httpx.Client, headers: Callable[[], dict[str, str]]) -> tuple[int, float]:
    """(answers that were not 429, seconds taken) for TRIES requests."""
    started = time.monotonic()
    answered = sum(client.get("/api/auth/me", headers=headers()).status_code != 429 for _ in range(TRIES))
    return answered, time.monotonic() - started


def _allowed(elapsed_s: float) -> float:
    return BURST + RATE_PER_S * elapsed_s + 1


ATTEMPTS: dict[str, Callable[[], dict[str, str]]] = {
    "no credential": lambda: {},
    "random bearer token each request": lambda: {"Authorization": f"Bearer {secrets.token_urlsafe(32)}"},
    "random session cookie each request": lambda: {"Cookie": f"seawatch_session={secrets.token_urlsafe(32)}"},
    "random X-Forwarded-For each request": lambda: {"X-Forwarded-For": f"10.{secrets.randbelow(250)}.0.1"},
    "random ?token= style junk and both headers": lambda: {
        "Authorization": f"Bearer {secrets.token_hex(8)}",
        "Cookie": f"seawatch_session={secrets.token_hex(8)}",
        "X-Real-IP": "192.0.2.1",
    },
}


def test_forged_credentials_buy_no_fresh_bucket(strict_node: NodeProc) -> None:
    results = {}
    for i, (name, headers) in enumerate(ATTEMPTS.items()):
        with client_from(strict_node.url, f"127.0.1.{i + 1}") as client:
            answered, elapsed = _flood(client, headers)
        results[name] = {"tried": TRIES, "answered": answered}
        assert answered <= _allowed(elapsed), (name, answered, elapsed)
    FIGURES["rate_limit_bypass"] = results


def test_an_authenticated_user_has_their_own_bucket(strict_node: NodeProc) -> None:
    with client_from(strict_node.url, "127.0.1.50") as client:
        _flood(client, lambda: {})  # the address is spent
        assert client.get("/api/auth/me").status_code == 429
        mine = client.get("/api/auth/me", headers={"Authorization": f"Bearer {strict_node.tokens['viewer']}"})
        assert mine.status_code == 200  # the user is counted apart from the address
        answered, elapsed = _flood(
            client, lambda: {"Authorization": f"Bearer {strict_node.tokens['operator']}"}
        )
        assert answered <= _allowed(elapsed)  # and is limited too
        too_many = client.get(
            "/api/auth/me", headers={"Authorization": f"Bearer {strict_node.tokens['operator']}"}
        )
    assert too_many.status_code == 429 and int(too_many.headers["retry-after"]) >= 1
    assert too_many.headers["content-type"] == "application/problem+json"


def test_a_flood_of_new_clients_evicts_the_oldest_not_everyone() -> None:
    """The old limiter cleared every bucket once it held 10,000 clients: one address flood reset a
    limited client. Now only the least recently seen buckets go."""
    buckets = TokenBuckets(rate_per_s=0.001, burst=3, max_clients=100)
    now = 0.0
    assert [buckets.allow("attacker", now) for _ in range(4)] == [True, True, True, False]
    for i in range(10_000):  # new addresses, while the limited client keeps trying
        buckets.allow(f"10.0.{i // 250}.{i % 250}", now)
        if i % 50 == 0:
            assert not buckets.allow("attacker", now), f"limited client reset after {i} new clients"
    assert len(buckets) <= 100


def test_websocket_handshakes_are_limited_too(strict_node: NodeProc) -> None:
    """Forged WebSocket handshakes spend the address's bucket like requests (from 127.0.1.60)."""
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    port = int(strict_node.url.rsplit(":", 1)[1])
    statuses = []
    for _ in range(30):
        sock = socket.create_connection(("127.0.0.1", port), source_address=("127.0.1.60", 0))
        try:
            with connect(strict_node.ws_url() + "?token=forged", sock=sock, open_timeout=10):
                statuses.append(101)
        except InvalidStatus as exc:
            statuses.append(exc.response.status_code)
    assert set(statuses) == {403}  # refused at the handshake (forged token, then the rate limit)
    with client_from(strict_node.url, "127.0.1.60") as client:
        assert client.get("/api/auth/me").status_code == 429  # the handshakes spent the address's bucket
