"""A case opened from an alert without a title is titled in the language of the user who opens it (the
`language` in their profile, which the page's language switch keeps), through the package's catalogue;
without one, in English as before. The title someone gives is kept as given."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.cases.conftest import GOFAST_MMSI
from tests.node.harness import RunningNode


@pytest.fixture
def operator(case_node: RunningNode) -> Iterator[httpx.Client]:
    """The operator's client; their profile's language is taken off again afterwards (a shared node)."""
    with case_node.client("operator") as client:
        try:
            yield client
        finally:
            client.put("/api/me/profile", json={"values": {"language": None}}).raise_for_status()


def _open(client: httpx.Client, lang: str | None, body: dict[str, Any]) -> dict[str, Any]:
    client.put("/api/me/profile", json={"values": {"language": lang}}).raise_for_status()
    made = client.post("/api/cases", json=body)
    assert made.status_code == 201, made.text
    return dict(made.json())


@pytest.mark.parametrize(
    ("lang", "title"),
    [
        (None, f"speed anomaly: MMSI {GOFAST_MMSI}"),  # no language chosen: English, as before
        ("en", f"speed anomaly: MMSI {GOFAST_MMSI}"),
        ("es", f"Lancha rápida: MMSI {GOFAST_MMSI}"),
        ("fr", f"Go-fast : MMSI {GOFAST_MMSI}"),
        ("nl", f"Go-fast: MMSI {GOFAST_MMSI}"),
    ],
)
def test_title_from_an_alert_in_the_openers_language(
    operator: httpx.Client, gofast: dict[str, Any], lang: str | None, title: str
) -> None:
    case = _open(operator, lang, {"event_id": gofast["id"]})
    assert case["title"] == title
    event_link = next(link for link in case["links"] if link["kind"] == "event")
    assert event_link["label"] == f"speed anomaly: MMSI {GOFAST_MMSI}"  # links keep the codes in words


def test_a_given_title_is_kept(operator: httpx.Client, gofast: dict[str, Any]) -> None:
    case = _open(operator, "es", {"event_id": gofast["id"], "title": "Go-fast hacia Campeche"})
    assert case["title"] == "Go-fast hacia Campeche"
