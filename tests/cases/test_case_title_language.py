"""A case opened from an alert or a nameless track without a title is titled in the language of the user
who opens it (the `language` in their profile, which the page's language switch keeps), through the
package's catalogue; without one, in English as before. The title someone gives is kept as given."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from seawatch.cases import service_for
from seawatch.model import Event
from seawatch.store.base import EventQuery, IngestBatch, PositionRow, TrackState
from seawatch.store.sqlite import SqliteStore
from tests.cases.conftest import GOFAST_MMSI
from tests.node.harness import RunningNode

T0 = datetime(2024, 12, 9, 10, tzinfo=UTC)


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


@pytest.fixture
def dark_store(tmp_path: Path) -> Iterator[SqliteStore]:
    """A store with a dark target (a radar track, no MMSI) and its alert."""
    store = SqliteStore(tmp_path / "data")
    positions = [
        PositionRow(T0.timestamp() + 60 * i, "R000007", None, 18.0, -66.6 + 0.01 * i, 28.0, 90.0, None,
                    "radar", "radar", "n")
        for i in range(6)
    ]  # fmt: skip
    track = TrackState("R000007", T0 + timedelta(minutes=5), 18.0, -66.55, sog_kn=28.0)
    event = Event("dark_target", (), T0, T0 + timedelta(minutes=5), 18.0, -66.6, track_ids=("R000007",))
    store.write_batch(IngestBatch(positions=positions, tracks=[track], events=[(event, "n")]))
    yield store
    store.close()


@pytest.mark.parametrize(
    ("lang", "from_track", "from_alert"),
    [
        (None, "track R000007", "dark target: R000007"),
        ("es", "traza R000007", "Blanco oscuro: R000007"),
        ("ht", "tras R000007", "Sib san AIS: R000007"),
    ],
)
def test_dark_target_titles_in_the_openers_language(
    dark_store: SqliteStore, lang: str | None, from_track: str, from_alert: str
) -> None:
    if lang:
        dark_store.update_profile("officer", {"language": lang})
    cases = service_for(dark_store)
    assert cases.open("officer", "track", "R000007")["title"] == from_track
    event_id = dark_store.events(EventQuery())[0].event_id
    assert cases.open("officer", "alert", event_id)["title"] == from_alert
    # a language given by the caller is used over the profile's
    assert cases.open("officer", "track", "R000007", lang="fr")["title"] == "piste R000007"
