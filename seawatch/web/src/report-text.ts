// Structured chat reports in the reader's language: drawn from their data (codes and numbers) with the
// page's catalogues (i18n.ts, the same files the node's Python renderer reads), so a report reads the
// same in every language and its essential part never needs machine translation.
import type * as Api from "./generated/api";
import { fmtDateTime, type Lang, language, t } from "./i18n";

export type Report = Api.ContactReport | Api.AssistanceRequest | Api.Handover;

/** A message of `lang`'s catalogue (`lng` fixed: a report can be drawn in a language other than the page's). */
function say(lang: Lang, key: string, values: Record<string, string | number> = {}): string {
  return t(key, { ...values, lng: lang });
}

/** Numbers as the node's renderer writes them (`report.decimal`), so both sides agree digit for digit. */
function num(lang: Lang, value: number, digits: number): string {
  return value.toFixed(digits).replace(".", say(lang, "report.decimal"));
}

function position(lang: Lang, lat: number, lon: number): string {
  // i18n-keys: report.hemisphere.N report.hemisphere.S report.hemisphere.E report.hemisphere.W
  const ns = say(lang, `report.hemisphere.${lat >= 0 ? "N" : "S"}`);
  const ew = say(lang, `report.hemisphere.${lon >= 0 ? "E" : "W"}`);
  return `${num(lang, Math.abs(lat), 4)}° ${ns}, ${num(lang, Math.abs(lon), 4)}° ${ew}`;
}

/** Title and (label, value) lines of a report in `lang` (default: the page's): the same lines as
 * seawatch.i18n.render, the time through Intl in the reader's locale. */
export function reportLines(report: Report, lang: Lang = language()): { title: string; lines: [string, string][] } {
  const lines: [string, string][] = [];
  const add = (label: string, value: string) => lines.push([say(lang, `report.label.${label}`), value]);
  if (report.type === "contact" || report.type === "handover") {
    add("what", say(lang, `report.what.${report.what}`));
    if (report.mmsi != null) add("mmsi", String(report.mmsi));
  }
  if (report.type === "assistance") {
    add("need", say(lang, `report.need.${report.need}`));
    add("urgency", say(lang, `report.urgency.${report.urgency ?? "priority"}`));
    if (report.persons != null) add("persons", say(lang, "report.unit.persons", { value: report.persons }));
  }
  add("position", position(lang, report.lat, report.lon));
  if (report.type === "contact" || report.type === "handover") {
    if (report.course_deg != null) {
      const deg = String(Math.round(report.course_deg) % 360).padStart(3, "0");
      add("course", say(lang, "report.unit.degrees", { value: deg }));
    }
    if (report.speed_kn != null) add("speed", say(lang, "report.unit.knots", { value: num(lang, report.speed_kn, 1) }));
  }
  if (report.type === "contact") add("activity", say(lang, `report.activity.${report.activity ?? "unknown"}`));
  if (report.type === "handover") {
    add("to", report.to_node.toUpperCase());
    add("reason", say(lang, `report.reason.${report.reason}`));
  }
  add("time", fmtDateTime(Date.parse(report.time)));
  return { title: say(lang, `report.title.${report.type}`), lines };
}
