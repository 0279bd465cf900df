"""Structured reports: validated data, rendered in each reader's language from the catalogues, with the
same facts whatever the language; the catalogues complete in all six languages."""

from __future__ import annotations

import re
from importlib import resources
from typing import Any

import pytest
from pydantic import ValidationError

from seawatch.i18n import LANGUAGES, catalogue
from seawatch.i18n.detect import guess_language
from seawatch.i18n.render import render_report, report_lines
from seawatch.i18n.reports import ACTIVITY, HANDOVER_REASON, NEED, URGENCY, WHAT, parse_report

CONTACT: dict[str, Any] = {
    "type": "contact",
    "what": "go_fast",
    "lat": 17.9512,
    "lon": -66.6087,
    "course_deg": 265.0,
    "speed_kn": 34.5,
    "activity": "fleeing",
    "time": "2026-12-07T09:30:00Z",
}
ASSIST: dict[str, Any] = {
    "type": "assistance",
    "need": "search_and_rescue",
    "urgency": "immediate",
    "persons": 6,
    "lat": 18.2,
    "lon": -67.1,
    "time": "2026-12-07T10:00:00Z",
}
HANDOVER: dict[str, Any] = {
    "type": "handover",
    "what": "fishing_vessel",
    "to_node": "tt",
    "reason": "entering_waters",
    "lat": 11.5,
    "lon": -61.2,
    "course_deg": 5.0,
    "speed_kn": 9.0,
    "mmsi": 362001234,
    "time": "2026-12-07T11:00:00Z",
}


def _facts(text: str) -> list[str]:
    """The numbers a rendering states, decimal commas read as points (the facts, not the words)."""
    return [n.replace(",", ".") for n in re.findall(r"\d+(?:[.,]\d+)?", text)]


@pytest.mark.parametrize("report", [CONTACT, ASSIST, HANDOVER])
def test_same_facts_in_every_language(report: dict[str, Any]) -> None:
    english = render_report(report, "en")
    for lang in LANGUAGES:
        text = render_report(report, lang)
        assert _facts(text) == _facts(english), (lang, text)
        title, lines = report_lines(report, lang)
        assert text.splitlines()[0] == title and len(lines) == len(report_lines(report, "en")[1])


def test_contact_sent_in_spanish_read_in_english_and_french() -> None:
    sent = parse_report(CONTACT)  # what the Spanish operator's page sends: codes and numbers
    assert render_report(sent, "es").splitlines() == [
        "Informe de contacto",
        "Qué: Lancha rápida (go-fast)",
        "Posición: 17,9512° N, 66,6087° O",
        "Rumbo: 265°",
        "Velocidad: 34,5 nudos",
        "Actividad: Huyendo",
        "Hora: 2026-12-07 09:30 UTC",
    ]
    assert render_report(sent, "en").splitlines() == [
        "Contact report",
        "What: Go-fast boat",
        "Position: 17.9512° N, 66.6087° W",
        "Course: 265°",
        "Speed: 34.5 kn",
        "Activity: Fleeing",
        "Time: 2026-12-07 09:30 UTC",
    ]
    assert render_report(sent, "fr").splitlines()[1:5] == [
        "Nature: Go-fast",
        "Position: 17,9512° N, 66,6087° O",
        "Route: 265°",
        "Vitesse: 34,5 nœuds",
    ]


@pytest.mark.parametrize(
    "bad",
    [
        {**CONTACT, "lat": 91},
        {**CONTACT, "speed_kn": -1},
        {**CONTACT, "course_deg": 360},
        {**CONTACT, "what": "pirate ship"},
        {**CONTACT, "time": "yesterday"},
        {**CONTACT, "time": "2026-12-07T09:30:00"},  # no zone: ambiguous
        {**CONTACT, "note": "free text has its own field"},
        {**ASSIST, "need": "pizza"},
        {**HANDOVER, "to_node": "T T"},
        {"type": "weather", "lat": 1, "lon": 1, "time": "2026-12-07T10:00:00Z"},
    ],
)
def test_invalid_reports_are_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        parse_report(bad)


def test_catalogues_complete_in_six_languages() -> None:
    english = {k: v for k, v in catalogue("en").items() if k.startswith(("report.", "chat."))}
    codes = [
        ("what", WHAT),
        ("activity", ACTIVITY),
        ("need", NEED),
        ("urgency", URGENCY),
        ("reason", HANDOVER_REASON),
    ]
    for group, values in codes:
        for value in values:
            assert f"report.{group}.{value}" in english, f"report.{group}.{value} missing in en"
    locales = resources.files("seawatch.i18n").joinpath("locales")
    shipped = sorted(p.name.removesuffix(".json") for p in locales.iterdir() if p.name.endswith(".json"))
    assert shipped == sorted(LANGUAGES)
    for lang in LANGUAGES:
        keys = catalogue(lang)
        missing = sorted(set(english) - set(keys))
        assert not missing, f"{lang} misses {missing}"
        for key, text in english.items():
            assert re.findall(r"\{\{\w+\}\}", keys[key]) == re.findall(r"\{\{\w+\}\}", text), (lang, key)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Go-fast heading south at high speed, we have lost radar contact with the boat", "en"),
        ("La lancha va hacia el sur, perdimos el contacto con el radar", "es"),
        ("Le bateau se dirige vers le sud, nous avons perdu le contact radar", "fr"),
        ("De boot vaart naar het zuiden, wij hebben het radarcontact verloren", "nl"),
        ("Bato a ap kouri nan direksyon sid, nou pa wè li ankò sou rada a", "ht"),
        ("E boto ta bai pa zùit, nos a pèrdè kontakto ku e radar", "pap"),
        ("OK", None),
        ("12.5N 61.2W", None),
    ],
)
def test_language_guess(text: str, lang: str | None) -> None:
    assert guess_language(text) == lang
