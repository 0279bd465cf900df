"""What a case is made of: statuses, outcomes, what it may link, limits, allowed attachment types, and
who may see it (`releasable_to`).

A case is a plain dict as the store gives it (`seawatch/store/cases.py`): `id`, `title`, `status`,
`outcome`, `summary`, `opened_from`, `opened_ref`, `releasable_to` (partner node ids, default none),
`origin_node` ('' for this node), `created_at`, `created_by`, `updated_at` (epoch s), `version`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

STATUSES = ("open", "monitoring", "interdiction", "closed")
OUTCOMES = (
    "interdicted",  # stopped and boarded, something found
    "no_violation",  # boarded or checked, nothing found
    "handed_over",  # to another agency or nation
    "rescued",  # search and rescue: people saved
    "lost_contact",
    "false_alarm",
    "other",
)
OPENED_FROM = ("alert", "track", "vessel", "manual")
LINK_KINDS = ("track", "event", "sighting", "asset", "vessel")

MAX_TITLE_CHARS = 200
MAX_SUMMARY_CHARS = 4000
MAX_NOTE_CHARS = 4000
MAX_PARTNERS = 64
MAX_ATTACHMENT_NAME_CHARS = 200
PARTNER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
CASE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,79}$")

# media type -> (extension, magic prefixes the content must start with; empty: text, checked as UTF-8)
ATTACHMENT_TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    "image/jpeg": ("jpg", (b"\xff\xd8\xff",)),
    "image/png": ("png", (b"\x89PNG\r\n\x1a\n",)),
    "application/pdf": ("pdf", (b"%PDF-",)),
    "text/plain": ("txt", ()),
    "text/csv": ("csv", ()),
    "application/geo+json": ("geojson", ()),
    "application/vnd.google-earth.kml+xml": ("kml", ()),
}


def content_matches(media_type: str, content: bytes) -> bool:
    """Does the content look like its declared type (magic bytes; text types: UTF-8 without NUL)?"""
    _, magic = ATTACHMENT_TYPES[media_type]
    if magic:
        return any(content.startswith(m) for m in magic)
    if b"\x00" in content:
        return False
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def safe_name(name: str) -> str:
    """A file name fit to show and to put in a Content-Disposition: its last path part, printable
    characters only, at most `MAX_ATTACHMENT_NAME_CHARS`."""
    base = re.split(r"[\\/]", name)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable() and ch not in '"<>|*?:').strip(" .")
    return cleaned[:MAX_ATTACHMENT_NAME_CHARS] or "attachment"


def releasable_to(case: Mapping[str, Any], partner: str) -> bool:
    """May `partner` (a partner node id) see this case and its messages? Only when the case names it
    in `releasable_to` (default: nobody). A case a partner shared with us goes back to its origin
    node only (our messages in it), never on to a third nation."""
    origin = case.get("origin_node")
    if origin:
        return bool(partner == origin)
    return partner in (case.get("releasable_to") or ())
