"""The message catalogues (seawatch/i18n/locales): every language has exactly English's keys with the same
placeholders, and every key the page asks for exists."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from seawatch import i18n

WEB_SRC = Path(__file__).resolve().parents[2] / "seawatch" / "web" / "src"
# t("key" / t('key' in TypeScript; data-i18n*="key" in index.html (keys built at run time are listed
# beside their code as `// i18n-keys: a.b a.c` so this test sees them too).
KEY = r"([a-z]\w*\.[\w.]+)"
USES = re.compile(
    rf"""\bt\(\s*["']{KEY}["']|data-i18n(?:-title|-placeholder|-aria-label)?="{KEY}"|i18n-keys:([^\n]*)"""
)


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_catalogue_is_complete(lang: str) -> None:
    assert i18n.problems(lang) == []


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_catalogue_is_clean_json(lang: str) -> None:
    raw = i18n.raw_catalogue(lang)
    flat = i18n.catalogue(lang)
    assert not [k for k in flat if k.split(".")[-1].startswith("_")], "no _comment keys: notes go in docs"
    assert max(len(k.split(".")) for k in flat) <= 3, "shallow: section.key (section.group.key at most)"
    assert raw["language"][lang], "each catalogue names its own language"


def test_compare_finds_missing_extra_and_placeholder_mismatch() -> None:
    en = {"a.one": "One {{n}}", "a.two": "Two", "a.three": "Three {{x}}"}
    other = {"a.one": "Uno {{m}}", "a.three": " ", "a.four": "Cuatro"}
    found = i18n.compare(en, other, "es")
    assert "es: missing key a.two" in found
    assert "es: extra key a.four (not in en)" in found
    assert any("a.one has placeholders ['m'], en has ['n']" in line for line in found)
    assert "es: a.three is empty" in found


def test_unknown_language_is_refused() -> None:
    with pytest.raises(i18n.UnknownLanguageError):
        i18n.catalogue("de")


def test_python_t_fills_placeholders_and_falls_back() -> None:
    assert i18n.t("es", "filters.min_speed", unit="nudos") == "Velocidad mín. (nudos)"
    assert i18n.t("xx", "filters.title") == "Filters"
    assert i18n.t("fr", "no.such_key") == "no.such_key"


def test_every_key_the_page_uses_exists() -> None:
    used: set[str] = set()
    for path in [*WEB_SRC.glob("*.ts"), WEB_SRC / "index.html"]:
        for match in USES.finditer(path.read_text(encoding="utf-8")):
            direct = match.group(1) or match.group(2)
            used.update([direct] if direct else match.group(3).split())
    assert used, "the page uses the catalogues"
    missing = sorted(key for key in used if key not in i18n.catalogue("en"))
    assert missing == [], f"keys used by the page but absent from en.json: {missing}"


def test_catalogue_files_are_utf8_json_objects() -> None:
    for lang in i18n.LANGUAGES:
        path = Path(i18n.__file__).parent / "locales" / f"{lang}.json"
        assert isinstance(json.loads(path.read_text(encoding="utf-8")), dict)


def test_every_event_type_measure_and_zone_kind_has_words() -> None:
    """Keys the page builds at run time (`event.${type}`...) from the node's own lists."""
    from seawatch.model.explain import RULES
    from seawatch.model.zone import ZONE_KINDS

    en = i18n.catalogue("en")
    wanted = {f"event.{kind}" for kind in RULES} | {f"rule.{kind}" for kind in RULES}
    wanted |= {f"measure.{measured}" for _, checks in RULES.values() for measured, _, _ in checks}
    wanted |= {f"zone_kind.{kind}" for kind in ZONE_KINDS}
    assert sorted(wanted - en.keys()) == []
