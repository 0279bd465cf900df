// Chat in the reader's language: the node's message catalogues (seawatch/i18n/locales/<lang>.json, the
// same files the Python renderer reads), an i18next-style t() with {{placeholders}}, and structured
// reports rendered from their data (codes and numbers), so a report reads the same in every language.
import en from "../../i18n/locales/en.json";
import es from "../../i18n/locales/es.json";
import fr from "../../i18n/locales/fr.json";
import ht from "../../i18n/locales/ht.json";
import nl from "../../i18n/locales/nl.json";
import pap from "../../i18n/locales/pap.json";
import type * as Api from "./generated/api";

export const LANGS = ["en", "es", "fr", "nl", "ht", "pap"] as const;
export type Lang = (typeof LANGS)[number];
type Tree = { [key: string]: string | Tree };
const CATALOGUES: Record<Lang, Tree> = { en, es, fr, nl, ht, pap } as unknown as Record<Lang, Tree>;

export type Report = Api.ContactReport | Api.AssistanceRequest | Api.Handover;

/** The reader's language: the page's when a language switch set one (html lang other than the static
 * page's "en"), else the browser's first of the six, else English. */
export function readerLang(): Lang {
  const page = document.documentElement.lang;
  for (const candidate of [page === "en" ? "" : page, ...navigator.languages, navigator.language]) {
    const code = (candidate || "").toLowerCase().split("-")[0];
    if ((LANGS as readonly string[]).includes(code)) return code as Lang;
  }
  return "en";
}

function lookup(tree: Tree, key: string): string | null {
  if (typeof tree[key] === "string") return tree[key] as string; // a flat catalogue
  let node: string | Tree | undefined = tree;
  for (const part of key.split(".")) {
    if (typeof node !== "object" || node === null) return null;
    node = node[part];
  }
  return typeof node === "string" ? node : null;
}

/** `t(lang, "report.label.what")`, placeholders `{{name}}` filled from `values`; English when missing. */
export function t(lang: Lang, key: string, values: Record<string, string | number> = {}): string {
  const text = lookup(CATALOGUES[lang], key) ?? lookup(CATALOGUES.en, key) ?? key;
  return text.replace(/\{\{\s*(\w+)\s*\}\}/g, (m, name: string) => (name in values ? String(values[name]) : m));
}

function num(lang: Lang, value: number, digits: number): string {
  return value.toFixed(digits).replace(".", t(lang, "report.decimal"));
}

function position(lang: Lang, lat: number, lon: number): string {
  const ns = t(lang, `report.hemisphere.${lat >= 0 ? "N" : "S"}`);
  const ew = t(lang, `report.hemisphere.${lon >= 0 ? "E" : "W"}`);
  return `${num(lang, Math.abs(lat), 4)}° ${ns}, ${num(lang, Math.abs(lon), 4)}° ${ew}`;
}

function utc(iso: string): string {
  const d = new Date(iso);
  return `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 16)} UTC`;
}

/** Title and (label, value) lines of a report in `lang`: the same lines as seawatch.i18n.render. */
export function reportLines(report: Report, lang: Lang): { title: string; lines: [string, string][] } {
  const lines: [string, string][] = [];
  const add = (label: string, value: string) => lines.push([t(lang, `report.label.${label}`), value]);
  if (report.type === "contact" || report.type === "handover") {
    add("what", t(lang, `report.what.${report.what}`));
    if (report.mmsi != null) add("mmsi", String(report.mmsi));
  }
  if (report.type === "assistance") {
    add("need", t(lang, `report.need.${report.need}`));
    add("urgency", t(lang, `report.urgency.${report.urgency ?? "priority"}`));
    if (report.persons != null) add("persons", t(lang, "report.unit.persons", { value: report.persons }));
  }
  add("position", position(lang, report.lat, report.lon));
  if (report.type === "contact" || report.type === "handover") {
    if (report.course_deg != null) {
      const deg = String(Math.round(report.course_deg) % 360).padStart(3, "0");
      add("course", t(lang, "report.unit.degrees", { value: deg }));
    }
    if (report.speed_kn != null) add("speed", t(lang, "report.unit.knots", { value: num(lang, report.speed_kn, 1) }));
  }
  if (report.type === "contact") add("activity", t(lang, `report.activity.${report.activity ?? "unknown"}`));
  if (report.type === "handover") {
    add("to", report.to_node.toUpperCase());
    add("reason", t(lang, `report.reason.${report.reason}`));
  }
  add("time", utc(report.time));
  return { title: t(lang, `report.title.${report.type}`), lines };
}
