// The page in six languages: i18next over the node's own message catalogues (seawatch/i18n/locales/*.json,
// bundled here; the node reads the same files). `t(key, options)` gives a message, `setLanguage(lang)`
// switches, `onLanguageChange(fn)` lets a panel redraw itself. Static text in index.html carries
// `data-i18n="key"` (text; `data-i18n-unit="kn"` fills `{{unit}}`, `data-i18n-n` `{{n}}`), `data-i18n-title`, `data-i18n-placeholder` or `data-i18n-aria-label`.
// Numbers and dates go through Intl in the language's locale (times stay UTC, as at sea).
import i18next, { type TOptions } from "i18next";
import en from "../../i18n/locales/en.json";
import es from "../../i18n/locales/es.json";
import fr from "../../i18n/locales/fr.json";
import ht from "../../i18n/locales/ht.json";
import nl from "../../i18n/locales/nl.json";
import pap from "../../i18n/locales/pap.json";

export const LANGUAGES = ["en", "es", "fr", "nl", "ht", "pap"] as const;
export type Lang = (typeof LANGUAGES)[number];
const STORAGE_KEY = "seawatch.language";
/** Intl has no data for some languages: the locale whose number and date conventions their readers use. */
const INTL_FALLBACK: Partial<Record<Lang, string>> = { ht: "fr-HT", pap: "nl-CW" };

type Listener = (lang: Lang) => void;
const listeners = new Set<Listener>();

export function isLanguage(value: unknown): value is Lang {
  return typeof value === "string" && (LANGUAGES as readonly string[]).includes(value);
}

/** The first of the browser's languages we have (`es-MX` is `es`), else English. */
export function browserLanguage(): Lang {
  for (const tag of navigator.languages ?? [navigator.language]) {
    const base = tag.toLowerCase().split("-")[0];
    if (isLanguage(base)) return base;
  }
  return "en";
}

/** The language picked on this browser (the switch), if any. */
export function remembered(): Lang | null {
  try {
    const value = localStorage.getItem(STORAGE_KEY);
    return isLanguage(value) ? value : null;
  } catch {
    return null;
  }
}

void i18next.init({
  resources: {
    en: { translation: en }, es: { translation: es }, fr: { translation: fr },
    nl: { translation: nl }, ht: { translation: ht }, pap: { translation: pap },
  },
  lng: remembered() ?? browserLanguage(),
  fallbackLng: "en",
  supportedLngs: [...LANGUAGES],
  initAsync: false, // resources are bundled: ready before the first t()
  interpolation: { escapeValue: false }, // callers escape for HTML (util.esc) where they build markup
  returnNull: false,
});
document.documentElement.lang = language();

export function t(key: string, options?: TOptions): string {
  return String(i18next.t(key, options ?? {}));
}

export function language(): Lang {
  const lang = i18next.resolvedLanguage ?? i18next.language;
  return isLanguage(lang) ? lang : "en";
}

let localeOf: [Lang, string] | null = null;
const formats = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>();

/** The locale for Intl (numbers, dates): the browser's own variant of the language when it has one. */
export function locale(): string {
  const lang = language();
  if (localeOf?.[0] === lang) return localeOf[1];
  localeOf = [lang, findLocale(lang)];
  formats.clear();
  return localeOf[1];
}

function findLocale(lang: Lang): string {
  const variant = (navigator.languages ?? []).find((tag) => tag.toLowerCase().split("-")[0] === lang);
  for (const candidate of [variant, lang, INTL_FALLBACK[lang]]) {
    if (candidate && Intl.NumberFormat.supportedLocalesOf([candidate]).length) return candidate;
  }
  return "en";
}

export async function setLanguage(lang: string): Promise<void> {
  if (!isLanguage(lang) || lang === language()) return;
  await i18next.changeLanguage(lang);
  try {
    localStorage.setItem(STORAGE_KEY, lang); // the sign-in screen's language on this browser
  } catch {
    // private mode: the profile still keeps it
  }
  document.documentElement.lang = lang;
  translatePage();
  for (const fn of listeners) fn(lang);
}

/** Call `fn` after each language change; returns the unsubscribe. */
export function onLanguageChange(fn: Listener): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Fill every `data-i18n*` element under `root` from the catalogue. */
export function translatePage(root: ParentNode = document): void {
  for (const el of root.querySelectorAll<HTMLElement>("[data-i18n]")) {
    const { i18nUnit: unit, i18nN: n } = el.dataset; // "Min speed ({{unit}})", "{{n}} h"
    el.textContent = t(el.dataset.i18n ?? "", { ...(unit ? { unit: t(`unit.${unit}`) } : {}), ...(n ? { n } : {}) });
  }
  for (const [attr, data] of [["title", "i18nTitle"], ["placeholder", "i18nPlaceholder"], ["aria-label", "i18nAriaLabel"]] as const) {
    for (const el of root.querySelectorAll<HTMLElement>(`[data-${"i18n-" + attr}]`)) {
      el.setAttribute(attr, t(el.dataset[data] ?? ""));
    }
  }
  const title = document.querySelector("title[data-i18n]");
  if (title) document.title = title.textContent ?? document.title;
}

/** A number in the user's locale (`31,2` in Spanish), `—` when it is not one. */
export function fmtNumber(value: unknown, digits = 1): string {
  if (typeof value !== "number" || !Number.isFinite(value)) return "—";
  const key = `n${digits}@${locale()}`;
  let format = formats.get(key) as Intl.NumberFormat | undefined;
  if (!format) {
    format = new Intl.NumberFormat(locale(), { minimumFractionDigits: digits, maximumFractionDigits: digits });
    formats.set(key, format);
  }
  return format.format(value);
}

/** A number with its unit's translated label: `fmtQuantity(31.2, "kn")` is `31,2 nudos` in Spanish. */
export function fmtQuantity(value: unknown, unit: string, digits = 1): string {
  const text = fmtNumber(value, digits);
  return text === "—" ? text : `${text} ${t(`unit.${unit}`)}`;
}

/** A UTC time in the user's locale's date order and words, marked UTC; `short` leaves out the year. */
export function fmtDateTime(ms: number, { seconds = false, short = false } = {}): string {
  if (!Number.isFinite(ms)) return "—";
  const key = `d${seconds ? "s" : ""}${short ? "y" : ""}@${locale()}`;
  let format = formats.get(key) as Intl.DateTimeFormat | undefined;
  if (!format) {
    format = new Intl.DateTimeFormat(locale(), {
      year: short ? undefined : "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit",
      second: seconds ? "2-digit" : undefined, hourCycle: "h23", timeZone: "UTC",
    });
    formats.set(key, format);
  }
  return `${format.format(ms)} UTC`;
}

/** When something happened, for a line of a live list (chat): the time of day in the user's locale marked
 * UTC (`14:05 UTC`; UTC is the operations centre's clock, whatever the browser's zone), with the day when it
 * is not today's (UTC) and the year when not this year's. Through the same cached Intl formatters. */
export function fmtClock(ms: number, now = Date.now()): string {
  if (!Number.isFinite(ms)) return "—";
  const day = (x: number) => Math.floor(x / 86_400_000);
  if (day(ms) !== day(now)) return fmtDateTime(ms, { short: new Date(ms).getUTCFullYear() === new Date(now).getUTCFullYear() });
  const key = `t@${locale()}`;
  let format = formats.get(key) as Intl.DateTimeFormat | undefined;
  if (!format) {
    format = new Intl.DateTimeFormat(locale(), { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: "UTC" });
    formats.set(key, format);
  }
  return `${format.format(ms)} UTC`;
}

/** Hours and minutes (`1 h 5 min`) with translated unit labels. */
export function fmtDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "—";
  const h = Math.floor(seconds / 3600);
  const m = Math.round((seconds % 3600) / 60);
  const mins = `${m} ${t("unit.min")}`;
  return h ? `${h} ${t("unit.h")} ${mins}` : mins;
}
