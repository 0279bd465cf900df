"""The evidence pack of a case: one zip, the same bytes every time from the same data.

Contents (flat, in this order, then `manifest.json`):
- `case.json`: the case, its links, notes and attachments' records; `timeline.json`: every change
  (who, when, what); `chat.json`: the case's chat messages (see `chat_messages`);
- `tracks.geojson`, `tracks.kml`: the linked tracks (all their positions), `positions.csv`: those
  positions; `events.geojson`, `events.kml`, `events.json`: the linked events (the `seawatch detect`
  shape); `sightings.geojson`: the linked sightings; written by `seawatch/export` (simplekml for KML);
- `attachments/<id>_<name>`: the attached files as they were received;
- `manifest.json`: the case id and version, and each file's path, size and SHA-256.

Reproducible: zip entries carry a fixed time (1980-01-01) and mode and are written in a fixed order,
JSON keys are sorted, rows are ordered, and simplekml's process-wide element ids are renumbered per
file. Downloading a pack is audited (`case.evidence`) but is not a change of the case, so it is not
on the case's timeline and a second download is identical to the first.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import polars as pl

from seawatch.cases.service import CaseService
from seawatch.export.query import ExportQuery
from seawatch.export.read import POSITION_COLUMNS
from seawatch.export.tables import chunks
from seawatch.export.writers import write
from seawatch.model import Event
from seawatch.timeutil import iso_utc

EVIDENCE_MEDIA_TYPE = "application/zip"
PACK_FORMAT = "seawatch-evidence/1"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)

ChatReader = Callable[[Any, str], Sequence[dict[str, Any]]]
_chat_readers: list[ChatReader] = []


def register_chat_reader(reader: ChatReader) -> None:
    """Let another chat give a case's messages to the pack: `reader(store, case_id)` returns them in
    order (JSON-able dicts). Without one, the chat the store keeps (`store/chat.py`: the case's rooms
    and their messages) is read; a store without chat gives an empty `chat.json`."""
    if reader not in _chat_readers:
        _chat_readers.append(reader)


def chat_messages(store: Any, case_id: str) -> list[dict[str, Any]]:
    for reader in _chat_readers:
        return [dict(m) for m in reader(store, case_id)]
    rooms, messages = getattr(store, "chat_rooms", None), getattr(store, "chat_messages", None)
    if not callable(rooms) or not callable(messages):
        return []
    out: list[dict[str, Any]] = []
    for room_id in sorted(r["room_id"] for r in rooms(kind="case") if r.get("case_id") == case_id):
        after = 0
        while page := messages(room_id, after_seq=after, limit=1000):  # in the order the node kept them
            out += [dict(m) for m in page]
            after = int(page[-1]["seq"])
    return out


@dataclass(frozen=True)
class EvidencePack:
    content: bytes
    filename: str
    files: dict[str, str]  # path -> SHA-256 (manifest.json excluded)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def _json(value: Any) -> bytes:
    return (json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False, default=str) + "\n").encode()


def _renumber_kml_ids(kml: bytes) -> bytes:
    """simplekml numbers elements from a process-wide counter: number them from 1 in this file."""
    seen: dict[bytes, bytes] = {}

    def repl(match: re.Match[bytes]) -> bytes:
        new = seen.setdefault(match.group(1), str(len(seen) + 1).encode())
        return b' id="' + new + b'"'

    return re.sub(rb' id="(\d+)"', repl, kml)


class _CaseSource:
    """The export writers' source (`export.read.ExportSource`), limited to one case's items."""

    def __init__(
        self, store: Any, frames: list[pl.DataFrame], events: list[Event], sightings: list[dict[str, Any]]
    ):
        self.store = store
        self.frames = frames
        self._events = events
        self._sightings = sightings

    def position_chunks(self, query: ExportQuery) -> Iterator[pl.DataFrame]:
        yield from self.frames

    def names(self, mmsis: Sequence[int]) -> dict[int, str]:
        out = {}
        for m in sorted(int(x) for x in mmsis):
            ident = self.store.vessel_identity(m)
            if ident and ident.get("shipname"):
                out[m] = str(ident["shipname"])
        return out

    def events(self, query: ExportQuery) -> list[Event]:
        return self._events

    def zones(self) -> list[dict[str, Any]]:
        return []

    def zone(self, zone_id: str) -> dict[str, Any] | None:
        return None

    def sightings(self) -> list[dict[str, Any]]:
        return self._sightings


def _track_frame(store: Any, track_id: str) -> pl.DataFrame:
    frame = store._history_frame(0.0, 1e12, "AND track_id = ?", (track_id,), pl.col("track_id") == track_id)
    return frame.sort("t", "seq").select(list(POSITION_COLUMNS))


def _joined(blocks: Iterable[bytes]) -> bytes:
    return b"".join(blocks)


@dataclass(frozen=True)
class _Items:
    track_ids: list[str]
    frames: list[pl.DataFrame]  # one per track with positions, in track id order
    events: list[Event]
    sightings: list[dict[str, Any]]


def _items(store: Any, links: list[dict[str, Any]]) -> _Items:
    track_ids = sorted({link["ref"] for link in links if link["kind"] == "track"})
    frames = [f for f in (_track_frame(store, t) for t in track_ids) if not f.is_empty()]
    events = store.events_by_id(sorted(link["ref"] for link in links if link["kind"] == "event"))
    refs = [link["ref"] for link in links if link["kind"] == "sighting"]
    sightings = [s for s in (store.sighting(ref) for ref in refs) if s]
    sightings.sort(key=lambda s: (float(s["t"]), str(s["id"])))
    return _Items(track_ids, frames, events, sightings)


def _feature(
    geometry: dict[str, Any], kind: str, ref: str, mmsi: Any, start: str, end: str, label: Any
) -> dict[str, Any]:
    props = {"kind": kind, "ref": ref, "mmsi": mmsi, "start": start, "end": end, "label": label}
    return {"type": "Feature", "geometry": geometry, "properties": props}


def case_features(service: CaseService, case_id: str) -> dict[str, Any]:
    """What the case view draws: its tracks (lines), events and sightings (points), as GeoJSON."""
    items = _items(service.store, service.get(case_id)["links"])
    features: list[dict[str, Any]] = []
    for frame in items.frames:
        coords = [[x, y] for x, y in zip(frame["lon"].to_list(), frame["lat"].to_list(), strict=True)]
        line = {"type": "LineString", "coordinates": coords} if len(coords) > 1 else None
        geometry = line or {"type": "Point", "coordinates": coords[0]}
        mmsi = frame["mmsi"].drop_nulls()
        t0, t1 = iso_utc(float(frame["t"][0])), iso_utc(float(frame["t"][-1]))
        vessel = int(mmsi[-1]) if len(mmsi) else None
        features.append(_feature(geometry, "track", str(frame["track_id"][0]), vessel, t0, t1, None))
    for e in items.events:
        point = {"type": "Point", "coordinates": [e.lon, e.lat]}
        vessel = e.mmsi[0] if e.mmsi else None
        features.append(
            _feature(point, "event", e.event_id, vessel, iso_utc(e.start), iso_utc(e.end), e.type)
        )
    for s in items.sightings:
        point = {"type": "Point", "coordinates": [s["lon"], s["lat"]]}
        when = iso_utc(float(s["t"]))
        label = s.get("notes") or s.get("name")
        features.append(_feature(point, "sighting", str(s["id"]), s.get("mmsi"), when, when, label))
    return {"type": "FeatureCollection", "features": features}


def evidence_pack(service: CaseService, case_id: str) -> EvidencePack:
    store = service.store
    case = service.get(case_id)
    items = _items(store, case["links"])
    track_ids, frames, events, sightings = items.track_ids, items.frames, items.events, items.sightings
    times = [float(t) for f in frames for t in (f["t"].min(), f["t"].max()) if isinstance(t, int | float)]
    times += [e.start.timestamp() for e in events] + [e.end.timestamp() for e in events]
    times += [float(s["t"]) for s in sightings]
    start = min(times, default=float(case["created_at"]))
    end = max(times, default=float(case["created_at"]))
    source = _CaseSource(store, frames, events, sightings)

    def export(kind: str, fmt: str) -> bytes:
        query = ExportQuery(
            kind=kind,
            start=datetime.fromtimestamp(start, UTC),
            end=datetime.fromtimestamp(end, UTC),
            track_ids=frozenset(track_ids),
        )
        data = _joined(write(fmt, kind, chunks(source, query)))
        return _renumber_kml_ids(data) if fmt == "kml" else data

    record = {k: v for k, v in case.items() if k != "timeline"}
    files: list[tuple[str, bytes]] = [
        ("case.json", _json(record)),
        ("timeline.json", _json(case["timeline"])),
        ("chat.json", _json(chat_messages(store, case_id))),
        ("tracks.geojson", export("tracks", "geojson")),
        ("tracks.kml", export("tracks", "kml")),
        ("positions.csv", export("positions", "csv")),
        ("events.geojson", export("events", "geojson")),
        ("events.kml", export("events", "kml")),
        ("events.json", _json([e.to_json() for e in events])),
        ("sightings.geojson", export("sightings", "geojson")),
    ]
    for attachment in case["attachments"]:
        content = store.attachment_path(case_id, attachment["id"]).read_bytes()
        files.append((f"attachments/{attachment['id']}_{attachment['name']}", content))
    digests = {path: hashlib.sha256(data).hexdigest() for path, data in files}
    manifest = {
        "format": PACK_FORMAT,
        "case_id": case_id,
        "case_version": case["version"],
        "as_of": iso_utc(float(case["updated_at"])),
        "window": {"start": iso_utc(start), "end": iso_utc(end)},
        "files": [
            {"path": path, "bytes": len(data), "sha256": digests[path]} for path, data in sorted(files)
        ],
    }
    files.append(("manifest.json", _json(manifest)))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for path, data in files:
            info = zipfile.ZipInfo(f"case-{case_id}/{path}", date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # unix
            info.external_attr = 0o644 << 16
            archive.writestr(info, data, compresslevel=6)
    filename = f"seawatch-case-{case_id}-v{case['version']}.zip"
    return EvidencePack(buf.getvalue(), filename, digests)
