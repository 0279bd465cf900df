"""`GET /api/export/{kind}` on a running node: formats by parameter or Accept header, the same bytes as
the library's export, problem+json for unknown formats (400) and unacceptable Accept headers (406)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pyarrow.parquet as pq
import pytest

from seawatch.export import StoreSource, build_query, export_bytes
from seawatch.node.settings import ApiSettings, NodeSettings
from seawatch.store.sqlite import SqliteStore
from seawatch.timeutil import iso_utc
from tests.export.conftest import HOUR0, HOUR1
from tests.node.harness import RunningNode, free_port, running_node

WINDOW = {"start": iso_utc(HOUR0), "end": iso_utc(HOUR1 + 3599)}


@pytest.fixture(scope="module")
def node(store: SqliteStore) -> Iterator[RunningNode]:
    settings = NodeSettings(node_id="export-test", data_dir=store.data_dir, port=free_port(),
                            api=ApiSettings(rate_limit_per_s=10_000, rate_limit_burst=10_000))  # fmt: skip
    with running_node(settings, wait_feeds=False) as running:
        yield running


def _library(store: SqliteStore, kind: str, fmt: str) -> bytes:
    query = build_query(kind, WINDOW["start"], WINDOW["end"], datetime.now(UTC))
    return b"".join(export_bytes(StoreSource(store), query, fmt))


@pytest.mark.parametrize(
    ("params", "accept", "fmt", "media"),
    [
        ({"format": "csv"}, None, "csv", "text/csv"),
        ({}, "text/csv", "csv", "text/csv"),
        ({}, "application/geo+json", "geojson", "application/geo+json"),
        ({}, None, "geojson", "application/geo+json"),
        (
            {},
            "application/xml;q=0.5, application/vnd.apache.parquet",
            "parquet",
            "application/vnd.apache.parquet",
        ),
        ({"format": "kml"}, "text/csv", "kml", "application/vnd.google-earth.kml+xml"),
    ],
)
def test_formats_by_parameter_or_accept(
    node: RunningNode, store: SqliteStore, params: dict[str, str], accept: str | None, fmt: str, media: str
) -> None:
    headers = {"Accept": accept} if accept else {}
    with node.client("viewer") as client:
        r = client.get("/api/export/positions", params={**WINDOW, **params}, headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith(media)
    assert r.headers["content-disposition"].startswith('attachment; filename="seawatch-positions-')
    if fmt == "kml":
        assert r.content.startswith(b"<?xml") and r.content.count(b"<Placemark") == 8699
    else:
        assert r.content == _library(store, "positions", fmt)


def test_events_csv_and_parquet(node: RunningNode) -> None:
    with node.client("viewer") as client:
        rows = list(
            csv.DictReader(
                io.StringIO(client.get("/api/export/events", params={**WINDOW, "format": "csv"}).text)
            )
        )
        table = pq.read_table(
            io.BytesIO(client.get("/api/export/events", params={**WINDOW, "format": "parquet"}).content)
        )
    assert len(rows) == table.num_rows == 6
    assert sorted(r["id"] for r in rows) == sorted(table.column("id").to_pylist())


@pytest.mark.parametrize(
    ("params", "accept", "status", "field"),
    [
        ({"format": "xlsx"}, None, 400, "format"),
        ({}, "application/xml", 406, "Accept"),
        ({"format": "csv", "bbox": "10,10,0,0"}, None, 400, "bbox"),
        ({"format": "csv", "start": "yesterday"}, None, 400, "start"),
        ({"format": "csv", "zone": "nowhere"}, None, 400, "zone"),
    ],
)
def test_bad_requests_are_problems_never_json_by_surprise(
    node: RunningNode, params: dict[str, str], accept: str | None, status: int, field: str
) -> None:
    headers = {"Accept": accept} if accept else {}
    with node.client("viewer") as client:
        r = client.get("/api/export/positions", params={**WINDOW, **params}, headers=headers)
    assert r.status_code == status
    assert r.headers["content-type"] == "application/problem+json"
    assert field in r.json()["detail"]


def test_unknown_kind_and_no_credentials(node: RunningNode) -> None:
    with node.client("viewer") as client:
        assert client.get("/api/export/vessels", params={"format": "csv"}).status_code == 400
        catalogue = client.get("/api/export").json()
    assert catalogue["kinds"] == ["positions", "tracks", "events", "zones", "sightings"]
    with node.client() as anonymous:
        assert anonymous.get("/api/export/positions", params={"format": "csv"}).status_code == 401


def test_exports_are_audited(node: RunningNode, store: SqliteStore) -> None:
    with node.client("viewer") as client:
        client.get("/api/export/tracks", params={**WINDOW, "format": "geojson"})
    rows = store.audit_rows(10, action="export")
    details = rows[0]["details"]
    details = json.loads(details) if isinstance(details, str) else details
    assert rows[0]["actor"] == "viewer" and details["kind"] == "tracks" and details["format"] == "geojson"


@pytest.mark.parametrize("path", ["/api/tracks", "/api/events", "/api/zones"])
def test_format_on_a_json_only_route_is_a_problem_not_json(node: RunningNode, path: str) -> None:
    with node.client("viewer") as client:
        r = client.get(path, params={"format": "csv"})
        plain = client.get(path)
    assert r.status_code == 400 and r.headers["content-type"] == "application/problem+json"
    assert "/api/export/" in r.json()["detail"]
    assert plain.status_code == 200  # without format the route answers as before
