"""Login under attack: guessing slows down per (user, address) with growing delays, the real user is
never locked out from elsewhere, and the answer's timing does not tell known user names from unknown.

The timing bound is generous on purpose (a shared 2-core machine): what it guards against is the old
gap, 235 ms for a known user against 1.4 ms for an unknown one (argon2 skipped). The measured medians
are recorded in test-artifacts/security/figures.json and docs/security.md.
"""

from __future__ import annotations

import statistics
import time

from tests.security.conftest import FIGURES, NodeProc
from tests.security.helpers import client_from


def _login(client: object, user: str, password: str) -> tuple[int, float, str | None]:
    started = time.perf_counter()
    answer = client.post("/api/auth/login", json={"username": user, "password": password})  # type: ignore[attr-defined]
    return answer.status_code, time.perf_counter() - started, answer.headers.get("retry-after")


def test_guessing_is_slowed_per_address_and_the_real_user_gets_in(node: NodeProc) -> None:
    with client_from(node.url, "127.0.2.1") as attacker:
        first = [_login(attacker, "admin", f"guess-{i}")[0] for i in range(7)]
        assert first == [401] * 5 + [429] * 2
        _, _, retry_1 = _login(attacker, "admin", "guess")
        time.sleep(float(retry_1 or 5) + 0.2)
        assert _login(attacker, "admin", "guess-after-wait")[0] == 401  # heard again, and failed
        status, _, retry_2 = _login(attacker, "admin", "guess")
        assert status == 429 and retry_1 is not None and retry_2 is not None
        assert int(retry_2) > int(retry_1)  # the delay grows with every failure
    with client_from(node.url, "127.0.2.2") as real_user:
        status, _, _ = _login(real_user, "admin", node.passwords["admin"])
    assert status == 200  # the admin signs in from their own desk meanwhile
    with client_from(node.url, "127.0.2.1") as attacker:  # even the right password waits there
        assert _login(attacker, "admin", node.passwords["admin"])[0] == 429
    retry_after_s = [int(retry_1), int(retry_2)]
    FIGURES["login_throttle"] = {"free_failures": 5, "delay_s": 5.0, "retry_after_s": retry_after_s}


def test_unknown_and_known_user_names_take_the_same_time(node: NodeProc) -> None:
    known: list[float] = []
    unknown: list[float] = []
    for i in range(10):  # interleaved, each pair from a fresh address (no throttle in the way)
        with client_from(node.url, f"127.0.3.{i + 1}") as client:
            client.get("/api/auth/me")  # connection set up outside the measure
            if i % 2:  # alternate which goes first: the machine's load drifts
                status_k, took_k, _ = _login(client, "viewer", f"wrong-{i}")
                status_u, took_u, _ = _login(client, f"nobody-{i}", f"wrong-{i}")
            else:
                status_u, took_u, _ = _login(client, f"nobody-{i}", f"wrong-{i}")
                status_k, took_k, _ = _login(client, "viewer", f"wrong-{i}")
        assert status_k == status_u == 401
        known.append(took_k)
        unknown.append(took_u)
    known_ms, unknown_ms = statistics.median(known) * 1000, statistics.median(unknown) * 1000
    gap_ms = abs(known_ms - unknown_ms)
    # measured gaps: 11-156 ms at medians of 0.7-1.25 s (<= 17 %, either side: load noise on a shared
    # 2-core machine); the bound is generous, the flaw it guards against was a factor of 170
    bound_ms = 0.5 * max(known_ms, unknown_ms)
    FIGURES["login_timing"] = {
        "tries_each": len(known),
        "known_user_median_ms": round(known_ms, 1),
        "unknown_user_median_ms": round(unknown_ms, 1),
        "gap_ms": round(gap_ms, 1),
        "bound_ms": round(bound_ms, 1),
    }
    # before the fix the gap was the whole argon2 verification (~235 ms against 1.4 ms)
    assert gap_ms < bound_ms, FIGURES["login_timing"]
