"""Optional machine translation of free-text chat messages (the `translate` extra: argostranslate).

Used only when argostranslate is installed AND has a model for the language pair; otherwise every
answer is "no translation model installed" (a note beside the original, never an error). The node
calls `translate` in a worker thread with a timeout, after the message is kept and pushed: a slow or
broken model delays only its translation, never the message.
"""

from __future__ import annotations

import importlib.util
import logging
from functools import cache
from typing import Any

log = logging.getLogger(__name__)

NO_MODEL = "no translation model installed"


@cache
def _languages() -> dict[str, Any]:
    """Installed argostranslate languages by code ({} without the package or a model)."""
    if importlib.util.find_spec("argostranslate") is None:
        return {}
    try:
        import argostranslate.translate

        return {lang.code: lang for lang in argostranslate.translate.get_installed_languages()}
    except Exception:  # a broken install must not break chat
        log.exception("argostranslate is installed but unusable")
        return {}


def targets(source: str, wanted: tuple[str, ...]) -> list[str]:
    """Of `wanted`, the languages an installed model translates `source` into."""
    languages = _languages()
    src = languages.get(source)
    if src is None:
        return []
    return [
        w for w in wanted if w != source and w in languages and src.get_translation(languages[w]) is not None
    ]


def available() -> bool:
    return bool(_languages())


def translate(text: str, source: str, target: str) -> str | None:
    """`text` in `target`, or None when no installed model does that pair. Blocking: run it off the loop."""
    languages = _languages()
    if source not in languages or target not in languages:
        return None
    translation = languages[source].get_translation(languages[target])
    if translation is None:
        return None
    return str(translation.translate(text))
