"""The page's and the node's message catalogues, one JSON file per language in `locales/<lang>.json`.

The web page (i18next, `seawatch/web/src/i18n.ts`) bundles the same files, so what the node writes in
a user's language (structured reports, e-mails, exports) uses the very words the page shows.

Catalogues are shallow nested objects of strings (`{"event": {"speed_anomaly": "Go-fast"}}`, the key
`event.speed_anomaly`), with i18next's `{{name}}` placeholders. English (`en`) is the reference: every
other catalogue has exactly its keys and, per key, the same placeholders (`problems()` lists what
differs; tests/i18n fails on any). How a native speaker reviews or adds keys: docs/translations.md.
Beside this loader: structured chat reports rendered in a reader's language (`render.py`), a cheap guess
of a text's language (`detect.py`), optional machine translation (`translate.py`).
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any

LANGUAGES: tuple[str, ...] = ("en", "es", "fr", "nl", "ht", "pap")
"""English, Spanish, French, Dutch, Haitian Creole, Papiamento (ISO 639-1, or 639-3 for Papiamento)."""
DEFAULT_LANGUAGE = "en"
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*(?:,[^}]*)?\}\}")


class UnknownLanguageError(ValueError):
    pass


def raw_catalogue(lang: str) -> dict[str, Any]:
    """The catalogue file as written (nested objects)."""
    if lang not in LANGUAGES:
        raise UnknownLanguageError(f"unknown language {lang!r}: expected one of {', '.join(LANGUAGES)}")
    text = resources.files(__package__).joinpath("locales", f"{lang}.json").read_text(encoding="utf-8")
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError(f"locales/{lang}.json: expected a JSON object")
    return data


def flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """`{"a": {"b": "x"}}` -> `{"a.b": "x"}`; a value that is neither text nor an object is an error."""
    flat: dict[str, str] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{name}."))
        elif isinstance(value, str):
            flat[name] = value
        else:
            raise ValueError(f"{name}: expected text or an object, got {type(value).__name__}")
    return flat


@cache
def catalogue(lang: str) -> dict[str, str]:
    """Every message of one language by its dotted key (`event.speed_anomaly`)."""
    return flatten(raw_catalogue(lang))


def placeholders(message: str) -> set[str]:
    return set(PLACEHOLDER.findall(message))


def problems(lang: str) -> list[str]:
    """What makes `lang`'s catalogue differ from English: missing or extra keys, empty messages,
    placeholders that are not the same; empty when it is complete."""
    return compare(catalogue(DEFAULT_LANGUAGE), catalogue(lang), lang)


def compare(reference: dict[str, str], other: dict[str, str], lang: str) -> list[str]:
    """`other`'s differences from `reference` (both flat), each a line naming `lang` and the key."""
    found = [f"{lang}: missing key {key}" for key in sorted(reference.keys() - other.keys())]
    found += [f"{lang}: extra key {key} (not in en)" for key in sorted(other.keys() - reference.keys())]
    for key in sorted(reference.keys() & other.keys()):
        if not other[key].strip():
            found.append(f"{lang}: {key} is empty")
        want, got = placeholders(reference[key]), placeholders(other[key])
        if want != got:
            found.append(f"{lang}: {key} has placeholders {sorted(got)}, en has {sorted(want)}")
    return found


def t(lang: str, key: str, **values: object) -> str:
    """One message in `lang` (English where the key is missing; the key itself when English lacks it
    too), with `{{name}}` placeholders filled from `values`."""
    messages = catalogue(lang) if lang in LANGUAGES else catalogue(DEFAULT_LANGUAGE)
    message = messages.get(key) or catalogue(DEFAULT_LANGUAGE).get(key) or key

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        return str(values[name]) if name in values else match.group(0)

    return PLACEHOLDER.sub(fill, message)
