"""English left on a page switched to Spanish: which catalogue messages must not be seen there, and
catalogue keys shown raw (a `t()` call whose key the catalogue lacks)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from seawatch import i18n

ES, EN = i18n.catalogue("es"), i18n.catalogue("en")
RAW_KEY = re.compile(r"\b(?:" + "|".join(sorted({k.split(".")[0] for k in EN})) + r")\.[a-z_]+\b")


def english_only(sections: Iterable[str], user_text: Iterable[str] = ()) -> list[str]:
    """The English messages of `sections` whose Spanish differs: short words such as "AIS" or "kn" are
    the same in both, and text the users typed (`user_text`) is data, not the page's."""
    wanted, typed = set(sections), tuple(user_text)
    spanish = {text.lower() for text in ES.values()}
    return sorted(
        {
            EN[key]
            for key in EN
            if key.split(".")[0] in wanted
            and EN[key] != ES[key]
            and len(EN[key]) >= 6
            and "{{" not in EN[key]
            and EN[key].lower() not in spanish
            and not any(EN[key] in text for text in typed)
        }
    )


def english_in(text: str, english: Iterable[str]) -> list[str]:
    """The messages of `english` found in `text` as whole words."""
    return [e for e in english if re.search(rf"(?<![\w-]){re.escape(e)}(?![\w-])", text)]
