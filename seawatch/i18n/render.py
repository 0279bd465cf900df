"""Render a structured report in a reader's language from the message catalogues.

The catalogues are the page's own (`seawatch/i18n/locales/<lang>.json`, read by i18next there), so the
page and the API say the same words; placeholders are i18next's `{{name}}`. A key missing in a language
falls back to English (the catalogue test in tests/i18n fails on a missing key first): the package's own
`seawatch.i18n.t`.
"""

from __future__ import annotations

from typing import Any

from seawatch.i18n import t
from seawatch.i18n.reports import AssistanceRequest, ContactReport, Handover, parse_report

AnyReport = ContactReport | AssistanceRequest | Handover


def _number(lang: str, value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}".replace(".", t(lang, "report.decimal"))


def _position(lang: str, lat: float, lon: float) -> str:
    ns = t(lang, "report.hemisphere." + ("N" if lat >= 0 else "S"))
    ew = t(lang, "report.hemisphere." + ("E" if lon >= 0 else "W"))
    return f"{_number(lang, abs(lat), 4)}° {ns}, {_number(lang, abs(lon), 4)}° {ew}"


def report_lines(report: AnyReport | dict[str, Any], lang: str) -> tuple[str, list[tuple[str, str]]]:
    """(title, [(label, value), ...]) of a report in `lang`: what the page shows as a small table."""
    r = parse_report(report) if isinstance(report, dict) else report
    lines: list[tuple[str, str]] = []

    def add(label: str, value: str) -> None:
        lines.append((t(lang, f"report.label.{label}"), value))

    if isinstance(r, ContactReport | Handover):
        add("what", t(lang, f"report.what.{r.what}"))
        if r.mmsi is not None:
            add("mmsi", str(r.mmsi))
    if isinstance(r, AssistanceRequest):
        add("need", t(lang, f"report.need.{r.need}"))
        add("urgency", t(lang, f"report.urgency.{r.urgency}"))
        if r.persons is not None:
            add("persons", t(lang, "report.unit.persons", value=r.persons))
    add("position", _position(lang, r.lat, r.lon))
    if isinstance(r, ContactReport | Handover):
        if r.course_deg is not None:
            add("course", t(lang, "report.unit.degrees", value=f"{round(r.course_deg) % 360:03d}"))
        if r.speed_kn is not None:
            add("speed", t(lang, "report.unit.knots", value=_number(lang, r.speed_kn, 1)))
    if isinstance(r, ContactReport):
        add("activity", t(lang, f"report.activity.{r.activity}"))
    if isinstance(r, Handover):
        add("to", r.to_node.upper())
        add("reason", t(lang, f"report.reason.{r.reason}"))
    add("time", r.time.strftime("%Y-%m-%d %H:%M UTC"))
    return t(lang, f"report.title.{r.type}"), lines


def render_report(report: AnyReport | dict[str, Any], lang: str) -> str:
    """The report as text in `lang`: its title, then one `label: value` line per fact."""
    title, lines = report_lines(report, lang)
    return "\n".join([title, *(f"{label}: {value}" for label, value in lines)])
