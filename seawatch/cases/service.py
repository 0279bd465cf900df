"""`CaseService`: opening, changing and reading cases, with every input checked and every change on the
case's timeline and in the audit log (one transaction each, `store/cases.py`).

`service_for(store)` gives the one service of a store, so the API and the federation (chat) share
its listeners: `subscribe(callback)` calls `callback(change)` after every committed change, with
`change = {"case": <case row>, "entry": <timeline row>}` (in the writer's thread). `store.case_changes
(after_id)` is the same feed from the store, for a follower that was away.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import uuid
import weakref
from collections.abc import Callable, Sequence
from typing import Any

from seawatch.cases.model import (
    ATTACHMENT_TYPES,
    LINK_KINDS,
    MAX_NOTE_CHARS,
    MAX_PARTNERS,
    MAX_SUMMARY_CHARS,
    MAX_TITLE_CHARS,
    OPENED_FROM,
    OUTCOMES,
    PARTNER_ID,
    STATUSES,
    content_matches,
    safe_name,
)
from seawatch.errors import NotFoundError, SeawatchError
from seawatch.i18n import DEFAULT_LANGUAGE, LANGUAGES, t
from seawatch.model import Event
from seawatch.store.base import Store
from seawatch.store.cases import CaseQuery
from seawatch.store.cases import StaleCaseVersion as StaleCaseVersion  # raised by update (API: 409)

log = logging.getLogger(__name__)

CaseChange = dict[str, Any]
Listener = Callable[[CaseChange], None]


class CaseFieldError(SeawatchError):
    """A bad value of one named field (the API answers 422 naming it)."""

    def __init__(
        self, field: str, message: str, kind: str | None = None, ctx: dict[str, Any] | None = None
    ) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.kind = (
            kind  # pydantic-style error type (string_too_long...) and its values, for the page's words
        )
        self.ctx = ctx


class AttachmentTooLarge(SeawatchError):
    """An attachment over the node's size limit (413)."""


class AttachmentTypeRefused(SeawatchError):
    """An attachment of a type not on the allow-list (415)."""


def _check_text(field: str, value: str | None, limit: int, required: bool = False) -> str:
    text = (value or "").strip()
    if required and not text:
        raise CaseFieldError(field, "must not be empty", "string_too_short", {"min_length": 1})
    if len(text) > limit:
        raise CaseFieldError(
            field, f"{len(text)} characters, at most {limit}", "string_too_long", {"max_length": limit}
        )
    return text


def check_partners(partners: Sequence[str] | None) -> list[str]:
    found = sorted(set(partners or ()))
    if len(found) > MAX_PARTNERS:
        raise CaseFieldError(
            "releasable_to",
            f"{len(found)} partners, at most {MAX_PARTNERS}",
            "too_long",
            {"field_type": "List", "max_length": MAX_PARTNERS, "actual_length": len(found)},
        )
    bad = [p for p in found if not PARTNER_ID.match(p)]
    if bad:
        raise CaseFieldError(
            "releasable_to",
            f"not a partner node id: {', '.join(map(repr, bad[:3]))}",
            "not_node_ids",
            {"ids": ", ".join(bad[:3])},
        )
    return found


def check_attachment_type(media_type: str) -> str:
    """The media type (parameters dropped, lower case) if on the allow-list, else a 415."""
    kind = media_type.split(";")[0].strip().lower()
    if kind not in ATTACHMENT_TYPES:
        allowed = ", ".join(sorted(ATTACHMENT_TYPES))
        raise AttachmentTypeRefused(f"attachments of type {kind or 'none'!r} are refused; allowed: {allowed}")
    return kind


class CaseService:
    def __init__(self, store: Store) -> None:
        self.store = store
        # the node's configured partners (`Node.set_partners`); None: not checked (a bare store)
        self.partners: frozenset[str] | None = None
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()

    # -- listeners -----------------------------------------------------------------------------------
    def subscribe(self, callback: Listener) -> Callable[[], None]:
        """Call `callback(change)` after each committed change; returns the unsubscribe function."""
        with self._lock:
            self._listeners.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._listeners:
                    self._listeners.remove(callback)

        return unsubscribe

    def _changed(self, case_id: str, entry_id: int) -> dict[str, Any]:
        case = self.get(case_id)
        entry = next((e for e in reversed(case["timeline"]) if e["id"] == entry_id), None)
        if entry is not None:
            with self._lock:
                listeners = list(self._listeners)
            summary = {
                k: v for k, v in case.items() if k not in ("links", "notes", "attachments", "timeline")
            }
            for callback in listeners:
                try:
                    callback({"case": summary, "entry": entry})
                except Exception:  # a listener's bug must not undo or hide the change
                    log.exception("case listener failed")
        return case

    def _check_known(self, partners: Sequence[str], already: Sequence[str] = ()) -> None:
        """Refuse (422, naming them) partners this node has not configured; those the case is already
        releasable to stay allowed (a partner dropped from the settings can still be taken off)."""
        if self.partners is None:
            return
        unknown = [p for p in partners if p not in self.partners and p not in already]
        if unknown:
            known = ", ".join(sorted(self.partners)) or "none"
            raise CaseFieldError(
                "releasable_to",
                f"unknown partner {', '.join(map(repr, unknown))}: this node's partners are {known}",
                "unknown_partner",  # ctx: the names refused and the node's partners ('' none)
                {"ids": ", ".join(unknown), "known": ", ".join(sorted(self.partners))},
            )

    # -- reads ---------------------------------------------------------------------------------------
    def row(self, case_id: str) -> dict[str, Any]:
        row = self.store.case_row(case_id)
        if row is None:
            raise NotFoundError(f"no case {case_id}")
        return row

    def get(self, case_id: str) -> dict[str, Any]:
        """The case with its links, notes, attachments and timeline."""
        case = self.row(case_id)
        return {
            **case,
            "links": self.store.case_links(case_id),
            "notes": self.store.case_notes(case_id),
            "attachments": self.store.case_attachments(case_id),
            "timeline": self.store.case_timeline(case_id),
        }

    def find(self, query: CaseQuery) -> list[dict[str, Any]]:
        bad = [s for s in query.statuses if s not in STATUSES]
        if bad:
            raise CaseFieldError(
                "status",
                f"unknown status {', '.join(bad)}: use {', '.join(STATUSES)}",
                "literal_error",
                {"expected": ", ".join(STATUSES)},
            )
        return self.store.cases(query)

    # -- opening -------------------------------------------------------------------------------------
    def open(
        self,
        actor: str,
        opened_from: str,
        ref: str | None = None,
        title: str | None = None,
        summary: str | None = None,
        releasable_to: Sequence[str] | None = None,
        status: str = "open",
        lang: str | None = None,
    ) -> dict[str, Any]:
        """Open a case from an alert (`ref` an event id), a track (`ref` a track id), a vessel (`ref`
        its MMSI: its live or recent tracks are linked) or by hand. Without a `title` the case is titled
        from what it was opened from, in `lang` (default: the language in the actor's profile, else
        English): "<event in words>: <vessels>", "<vessel>" or "track <id>" said in that language."""
        if opened_from not in OPENED_FROM:
            raise CaseFieldError("opened_from", f"expected one of {', '.join(OPENED_FROM)}")
        if status not in STATUSES or status == "closed":
            raise CaseFieldError("status", "a case opens as open, monitoring or interdiction")
        links: list[dict[str, Any]] = []
        default_title = ""
        if opened_from == "alert":
            if not ref:
                raise CaseFieldError("event_id", "needed to open a case from an alert")
            event = self._event(ref)
            links = self._event_links(event)
            if not title:
                default_title = self._event_title(event, links, lang or self._lang(actor))
        elif opened_from == "track":
            if not ref:
                raise CaseFieldError("track_id", "needed to open a case from a track")
            links = self._track_links(ref)
            default_title = links[0]["label"]
            if not title and not links[0].get("mmsi"):  # a nameless track: "track <id>" in words
                default_title = t(lang or self._lang(actor), "who.track", id=ref)[:MAX_TITLE_CHARS]
        elif opened_from == "vessel":
            if not ref or not ref.isdigit():
                raise CaseFieldError("mmsi", "needed to open a case from a vessel")
            vessel = self._vessel_link(int(ref))
            tracks = [
                x for track_id in self.store.vessel_tracks(int(ref)) for x in self._track_links(track_id)
            ]
            links = [vessel, *(x for x in tracks if x["kind"] == "track")]
            default_title = vessel["label"]
        title = _check_text("title", title or default_title, MAX_TITLE_CHARS, required=True)
        partners = check_partners(releasable_to)
        self._check_known(partners)
        case_id = uuid.uuid4().hex[:12]
        case = {
            "id": case_id,
            "title": title,
            "status": status,
            "summary": _check_text("summary", summary, MAX_SUMMARY_CHARS),
            "opened_from": opened_from,
            "opened_ref": ref,
            "releasable_to": partners,
        }
        entry = self.store.create_case(case, links, actor)
        return self._changed(case_id, entry)

    def _lang(self, actor: str) -> str:
        """The language in the actor's profile (the page's language switch keeps it there), else English."""
        try:
            lang = self.store.profile(actor).get("language")
        except Exception:  # a store without profiles (or a broken one): the title in English
            log.exception("profile of %s not read", actor)
            return DEFAULT_LANGUAGE
        return lang if lang in LANGUAGES else DEFAULT_LANGUAGE

    def _event(self, event_id: str) -> Event:
        found = self.store.events_by_id([event_id])
        if not found:
            raise NotFoundError(f"no event {event_id}")
        return found[0]

    @staticmethod
    def _who(vessels: list[str], event: Event, nobody: str) -> str:
        """Whom an event is about: its vessels' labels, else its track ids, else `nobody`."""
        return ", ".join(vessels) or ", ".join(event.track_ids) or nobody

    def _event_title(self, event: Event, links: list[dict[str, Any]], lang: str) -> str:
        """A case opened from an alert titled in `lang`: "<event type in words>: <who>" (English: the
        event's own label, its type's code in words, as the link keeps it)."""
        if lang == DEFAULT_LANGUAGE:
            return str(links[0]["label"])
        key = f"event.{event.type}"
        words = t(lang, key)
        if words == key:  # a type no catalogue has yet
            words = event.type.replace("_", " ")
        vessels = [link["label"] for link in links if link["kind"] == "vessel"]
        who = self._who(vessels, event, t(lang, "cases.no_identity"))
        return t(lang, "cases.default_title.alert", event=words, who=who)[:MAX_TITLE_CHARS]

    def _vessel_link(self, mmsi: int) -> dict[str, Any]:
        ident = self.store.vessel_identity(mmsi) or {}
        name = ident.get("shipname")
        return {
            "kind": "vessel",
            "ref": str(mmsi),
            "mmsi": mmsi,
            "label": f"{name} ({mmsi})" if name else f"MMSI {mmsi}",
        }

    def _event_links(self, event: Event) -> list[dict[str, Any]]:
        vessels = [self._vessel_link(m) for m in event.mmsi]
        who = self._who([v["label"] for v in vessels], event, "no identity")
        # kept in English (codes in words): the page says the event's type again in its reader's words
        label = f"{event.type.replace('_', ' ')}: {who}"[:MAX_TITLE_CHARS]
        mmsi = event.mmsi[0] if event.mmsi else None
        links = [{"kind": "event", "ref": event.event_id, "mmsi": mmsi, "label": label}]
        track_ids = list(event.track_ids) or [t for m in event.mmsi for t in self.store.vessel_tracks(m)]
        for track_id in track_ids:
            known = self.store.track_known(track_id) or {}
            links.append(
                {"kind": "track", "ref": track_id, "mmsi": known.get("mmsi") or mmsi, "label": track_id}
            )
        return links + vessels

    def _track_links(self, track_id: str) -> list[dict[str, Any]]:
        known = self.store.track_known(track_id)
        if known is None:
            history = self.store.track_history(track_id, None, None)
            if not history:
                raise NotFoundError(f"no track {track_id}")
            known = {"track_id": track_id, "mmsi": history[-1].mmsi, "name": None}
        mmsi = known.get("mmsi")
        vessel = [self._vessel_link(int(mmsi))] if mmsi else []
        label = vessel[0]["label"] if vessel else f"track {track_id}"
        return [{"kind": "track", "ref": track_id, "mmsi": mmsi, "label": label}, *vessel]

    # -- changes -------------------------------------------------------------------------------------
    def update(
        self, case_id: str, actor: str, changes: dict[str, Any], version: int | None = None
    ) -> dict[str, Any]:
        """Change title, status, outcome, summary or releasability. Closing needs an outcome (the one
        given or the one kept); reopening keeps the outcome for the record until it is changed.
        `version`: the case's version the writer saw; if the case has changed since (any change: an
        update, a link, a note, a file), `StaleCaseVersion` and nothing is written. None: the last
        writer wins (a script that does not read first)."""
        current = self.row(case_id)
        if version is not None and current["version"] != version:  # before checks that read the case
            raise StaleCaseVersion(case_id, version, int(current["version"]))
        clean: dict[str, Any] = {}
        if "title" in changes:
            clean["title"] = _check_text("title", changes["title"], MAX_TITLE_CHARS, required=True)
        if "summary" in changes:
            clean["summary"] = _check_text("summary", changes["summary"], MAX_SUMMARY_CHARS)
        if "status" in changes:
            if changes["status"] not in STATUSES:
                raise CaseFieldError(
                    "status",
                    f"expected one of {', '.join(STATUSES)}",
                    "literal_error",
                    {"expected": ", ".join(STATUSES)},
                )
            clean["status"] = changes["status"]
        if "outcome" in changes:
            outcome = changes["outcome"]
            if outcome is not None and outcome not in OUTCOMES:
                raise CaseFieldError(
                    "outcome",
                    f"expected one of {', '.join(OUTCOMES)}",
                    "literal_error",
                    {"expected": ", ".join(OUTCOMES)},
                )
            clean["outcome"] = outcome
        if "releasable_to" in changes:
            clean["releasable_to"] = check_partners(changes["releasable_to"])
            self._check_known(clean["releasable_to"], current["releasable_to"])
        status = clean.get("status", current["status"])
        outcome = clean.get("outcome", current["outcome"])
        if status == "closed" and not outcome:
            raise CaseFieldError(
                "outcome",
                f"a case is closed with an outcome ({', '.join(OUTCOMES)})",
                "closed_without_outcome",
                {"expected": ", ".join(OUTCOMES)},
            )
        entry = self.store.update_case(case_id, clean, actor, version)  # checked again, atomically
        if entry is None:
            raise NotFoundError(f"no case {case_id}")
        return self._changed(case_id, entry) if entry else self.get(case_id)

    def link(self, case_id: str, actor: str, kind: str, ref: str) -> dict[str, Any]:
        """Link a track, an event, a sighting, a patrol asset (tasked to the case) or a vessel (MMSI)."""
        self.row(case_id)
        if kind not in LINK_KINDS:
            raise CaseFieldError("kind", f"expected one of {', '.join(LINK_KINDS)}")
        ref = _check_text("ref", ref, 200, required=True)
        links: list[dict[str, Any]]
        if kind == "event":
            links = self._event_links(self._event(ref))
        elif kind == "track":
            links = self._track_links(ref)
        elif kind == "sighting":
            sighting = self.store.sighting(ref)
            if sighting is None:
                raise NotFoundError(f"no sighting {ref}")
            links = [self._sighting_link(sighting)]
        elif kind == "asset":
            asset = next((a for a in self.store.assets() if str(a.get("id")) == ref), None)
            if asset is None:
                raise NotFoundError(f"no patrol asset {ref}")
            links = [
                {"kind": "asset", "ref": ref, "mmsi": asset.get("mmsi"), "label": asset.get("name") or ref}
            ]
        else:
            if not ref.isdigit() or not 100_000_000 <= int(ref) <= 999_999_999:
                raise CaseFieldError("ref", "a vessel is linked by its 9-digit MMSI")
            links = [self._vessel_link(int(ref))]
        entry = self.store.add_case_links(case_id, links, actor)
        if entry is None:
            raise NotFoundError(f"no case {case_id}")
        return self._changed(case_id, entry) if entry else self.get(case_id)

    @staticmethod
    def _sighting_link(sighting: dict[str, Any]) -> dict[str, Any]:
        label = sighting.get("name") or sighting.get("notes") or f"sighting {sighting['id']}"
        return {
            "kind": "sighting",
            "ref": str(sighting["id"]),
            "mmsi": sighting.get("mmsi"),
            "label": str(label)[:200],
        }

    def link_sighting(self, case_id: str, actor: str, sighting: dict[str, Any]) -> dict[str, Any]:
        """Link a sighting just reported for this case (the node stored and published it)."""
        entry = self.store.add_case_links(case_id, [self._sighting_link(sighting)], actor)
        if entry is None:
            raise NotFoundError(f"no case {case_id}")
        return self._changed(case_id, entry) if entry else self.get(case_id)

    def unlink(self, case_id: str, actor: str, kind: str, ref: str) -> dict[str, Any]:
        self.row(case_id)
        if not self.store.remove_case_link(case_id, kind, ref, actor):
            raise NotFoundError(f"case {case_id} links no {kind} {ref}")
        timeline = self.store.case_timeline(case_id)
        return self._changed(case_id, timeline[-1]["id"])

    def note(self, case_id: str, actor: str, text: str) -> dict[str, Any]:
        clean = _check_text("text", text, MAX_NOTE_CHARS, required=True)
        if self.store.add_case_note(case_id, clean, actor) is None:
            raise NotFoundError(f"no case {case_id}")
        timeline = self.store.case_timeline(case_id)
        return self._changed(case_id, timeline[-1]["id"])

    def attach(
        self, case_id: str, actor: str, name: str, media_type: str, content: bytes, max_bytes: int
    ) -> dict[str, Any]:
        """Keep a file with the case: an allow-listed type (415 otherwise) whose content matches it
        (422), at most `max_bytes` (413), not empty (422). Returns the attachment's record."""
        self.row(case_id)
        media_type = check_attachment_type(media_type)
        if len(content) > max_bytes:
            raise AttachmentTooLarge(f"attachment of {len(content):,} bytes; at most {max_bytes:,}")
        if not content:
            raise CaseFieldError("body", "the attachment is empty")
        if not content_matches(media_type, content):
            raise CaseFieldError("body", f"the content is not {media_type} (checked from its first bytes)")
        meta = {
            "id": uuid.uuid4().hex[:16],
            "name": safe_name(name),
            "media_type": media_type,
            "size": len(content),
            "sha256": hashlib.sha256(content).hexdigest(),
        }
        if not self.store.add_case_attachment(case_id, meta, content, actor):
            raise NotFoundError(f"no case {case_id}")
        timeline = self.store.case_timeline(case_id)
        self._changed(case_id, timeline[-1]["id"])
        return next(a for a in self.store.case_attachments(case_id) if a["id"] == meta["id"])

    def attachment(self, case_id: str, attachment_id: str) -> tuple[dict[str, Any], bytes]:
        found = next((a for a in self.store.case_attachments(case_id) if a["id"] == attachment_id), None)
        if found is None:
            self.row(case_id)
            raise NotFoundError(f"case {case_id} has no attachment {attachment_id}")
        return found, self.store.attachment_path(case_id, attachment_id).read_bytes()


_services: weakref.WeakKeyDictionary[Any, CaseService] = weakref.WeakKeyDictionary()
_services_lock = threading.Lock()


def service_for(store: Store) -> CaseService:
    """The one `CaseService` of `store` (its listeners shared by whoever asks)."""
    with _services_lock:
        service = _services.get(store)
        if service is None:
            service = CaseService(store)
            _services[store] = service
        return service
