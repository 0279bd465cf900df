// Track symbology: what kind of track (by source) and what kind of ship (by AIS type), drawn as rotated SVG.
import { fmtQuantity, t } from "./i18n";
import { referenceLegendHtml } from "./layers";
import { GO_FAST_KN, hasOpenAlert, THREAT } from "./threat";
import type { TrackProps } from "./types";
import { esc } from "./util";

export type TrackClass = "ais" | "radar" | "dark" | "partner";

export function trackClass(p: TrackProps): TrackClass {
  const sources = (p.sources ?? []).map((s) => String(s).toLowerCase());
  if (p.dark) return "dark";
  if (sources.includes("partner")) return "partner";
  if (sources.length > 0 && !sources.includes("ais") && p.mmsi == null) return "radar";
  if (sources.length === 0 && p.mmsi == null) return "radar";
  return "ais";
}

export interface ShipCategory {
  key: string;
  label: string;
  colour: string;
}

// cool and neutral hues only: red, magenta, yellow and orange belong to threats and radar (threat.ts)
export const SHIP_CATEGORIES: ShipCategory[] = [
  { key: "cargo", label: "cargo", colour: "#5fbf6a" },
  { key: "tanker", label: "tanker", colour: "#a58a6a" },
  { key: "passenger", label: "passenger", colour: "#4a90e2" },
  { key: "fishing", label: "fishing", colour: "#2fae9c" },
  { key: "pleasure", label: "pleasure / sailing", colour: "#9a9cf0" },
  { key: "highspeed", label: "high-speed craft", colour: "#8fd3ff" },
  { key: "tug", label: "tug / towing", colour: "#8fa84a" },
  { key: "government", label: "law enf. / SAR / military", colour: "#ffffff" },
  { key: "other", label: "other", colour: "#a3b3c4" },
  { key: "unknown", label: "unknown", colour: "#c9d3dd" },
];

const BY_KEY = new Map(SHIP_CATEGORIES.map((c) => [c.key, c]));

/** A ship category's name in the user's language (`ship.cargo`...). */
export function shipLabel(key: string): string {
  // i18n-keys: ship.cargo ship.tanker ship.passenger ship.fishing ship.pleasure ship.highspeed ship.tug
  // i18n-keys: ship.government ship.other ship.unknown
  return t(`ship.${key}`, { defaultValue: BY_KEY.get(key)?.label ?? key });
}

export function shipCategory(shipType: number | string | null | undefined): ShipCategory {
  return BY_KEY.get(shipCategoryKey(shipType)) as ShipCategory;
}

export function shipCategoryKey(shipType: number | string | null | undefined): string {
  if (shipType === null || shipType === undefined || shipType === "") return "unknown";
  const code = typeof shipType === "number" ? shipType : Number(shipType);
  if (Number.isFinite(code)) return categoryOfCode(code);
  const text = String(shipType).toLowerCase();
  for (const c of SHIP_CATEGORIES) if (text.includes(c.key)) return c.key;
  if (/sail|pleasure|yacht/.test(text)) return "pleasure";
  if (/tow|tug/.test(text)) return "tug";
  if (/law|sar|military|search/.test(text)) return "government";
  if (/high/.test(text)) return "highspeed";
  return "other";
}

function categoryOfCode(code: number): string {
  if (code <= 0) return "unknown";
  if (code >= 1000) return categoryOfCode(marineCadastreToAis(code));
  if (code === 30) return "fishing";
  if (code === 31 || code === 32 || code === 52) return "tug";
  if (code === 36 || code === 37) return "pleasure";
  if (code >= 40 && code <= 49) return "highspeed";
  if (code === 35 || code === 51 || code === 55 || code === 58) return "government";
  if (code >= 60 && code <= 69) return "passenger";
  if (code >= 70 && code <= 79) return "cargo";
  if (code >= 80 && code <= 89) return "tanker";
  return "other";
}

// MarineCadastre uses 1001..1025 for US vessel types; map the common ones to AIS codes.
function marineCadastreToAis(code: number): number {
  const table: Record<number, number> = {
    1001: 30, 1002: 30, 1003: 70, 1004: 70, 1005: 31, 1011: 31, 1012: 60, 1013: 31, 1014: 60,
    1015: 60, 1016: 70, 1017: 80, 1018: 33, 1019: 37, 1020: 35, 1021: 52, 1022: 31, 1023: 31, 1024: 80, 1025: 31,
  };
  return table[code] ?? 90;
}

export function headingOf(p: TrackProps): number | null {
  for (const v of [p.heading_deg, p.cog_deg]) {
    if (typeof v === "number" && Number.isFinite(v) && v >= 0 && v < 360) return v;
  }
  return null;
}

const BOAT = "M11 1 L17 19 L11 15 L5 19 Z";
const DIAMOND = "M11 3 L19 11 L11 19 L3 11 Z";
/** Radii of the rings around a symbol (its body reaches 8 px from the centre). */
const RING_R = { gofast: 12, alert: 15.5, selected: 18.5 } as const;

/** SVG markup for one track symbol, 22×22 px, rotated to its heading. */
export function symbolSvg(p: TrackProps, selected: boolean): string {
  const cls = trackClass(p);
  const heading = headingOf(p);
  const moving = typeof p.sog_kn === "number" ? p.sog_kn >= 0.5 : heading !== null;
  const colour = shipCategory(p.ship_type).colour;
  const fast = typeof p.sog_kn === "number" && p.sog_kn >= GO_FAST_KN && shipCategoryKey(p.ship_type) !== "highspeed";
  // rings outside the body, each at its own radius, so a dark go-fast with an open alert shows all three:
  // the red body, the magenta dashed go-fast ring, the yellow alert ring (and white when selected)
  const ring = (selected ? `<circle cx="11" cy="11" r="${RING_R.selected}" fill="none" stroke="#ffffff" stroke-width="1.5"/>` : "")
    + (hasOpenAlert(p.track_id, p.mmsi) ? `<circle class="ring-alert" cx="11" cy="11" r="${RING_R.alert}" fill="none" stroke="${THREAT.alert}" stroke-width="2.5"/>` : "")
    + (fast ? `<circle class="ring-gofast" cx="11" cy="11" r="${RING_R.gofast}" fill="none" stroke="${THREAT.gofast}" stroke-width="2.5" stroke-dasharray="4 3"/>` : "");
  let body: string;
  if (cls === "dark") {
    body = `<circle class="pulse" cx="11" cy="11" r="9" fill="none" stroke="${THREAT.dark}" stroke-width="1.5"/>`
      + `<path d="${DIAMOND}" fill="${THREAT.dark}" stroke="#1b0000" stroke-width="1"/>`
      + (heading !== null ? `<path d="M11 3 L11 -3" stroke="${THREAT.dark}" stroke-width="2"/>` : "");
  } else if (cls === "radar") {
    body = `<path d="${DIAMOND}" fill="#f5a623" fill-opacity="0.85" stroke="#2a1a00" stroke-width="1"/>`
      + (heading !== null ? `<path d="M11 3 L11 -3" stroke="#f5a623" stroke-width="2"/>` : "");
  } else if (cls === "partner") {
    body = moving
      ? `<path d="${BOAT}" fill="${colour}" fill-opacity="0.45" stroke="#2ee6c8" stroke-width="2"/>`
      : `<circle cx="11" cy="11" r="5" fill="${colour}" fill-opacity="0.45" stroke="#2ee6c8" stroke-width="2"/>`;
  } else {
    body = moving
      ? `<path d="${BOAT}" fill="${colour}" stroke="#0b1320" stroke-width="1"/>`
      : `<circle cx="11" cy="11" r="4.5" fill="${colour}" stroke="#0b1320" stroke-width="1"/>`;
  }
  const rotate = heading !== null && (moving || cls !== "ais") ? heading : 0;
  return `<svg class="sym sym-${cls}" width="22" height="22" viewBox="-2 -4 26 26" overflow="visible"`
    + ` style="transform: rotate(${rotate.toFixed(0)}deg)">${ring}${body}</svg>`;
}

export function legendHtml(): string {
  const fake = (extra: Partial<TrackProps>): TrackProps => ({
    track_id: "", mmsi: null, name: null, ship_type: null, sources: [], sensors: [], nodes: [], dark: false,
    sog_kn: 10, cog_deg: null, heading_deg: 45, time: "", ...extra,
  });
  const row = (svg: string, label: string, cls = "") => `<div class="legend-row${cls}">${svg}<span>${label}</span></div>`;
  const swatch = (colour: string, label: string) =>
    `<div class="legend-row"><span class="swatch" style="background:${colour}"></span><span>${label}</span></div>`;
  const head = (key: string) => `<div class="legend-head">${esc(t(key))}</div>`;
  return head("legend.threat")
    + row(symbolSvg(fake({ sources: ["radar"], dark: true }), false), esc(t("legend.dark")))
    + row(symbolSvg(fake({ mmsi: 1, sources: ["ais"], ship_type: 70, sog_kn: 30 }), false),
      esc(t("legend.gofast", { speed: fmtQuantity(GO_FAST_KN, "kn", 0) })), " ringed")
    + `<div class="legend-row ringed"><svg width="22" height="22" viewBox="-2 -4 26 26" overflow="visible"><circle cx="11" cy="11" r="${RING_R.alert}" fill="none" stroke="${THREAT.alert}" stroke-width="2.5"/><circle cx="11" cy="11" r="4.5" fill="#8a96a8"/></svg><span>${esc(t("legend.open_alert"))}</span></div>`
    + head("legend.track")
    + row(symbolSvg(fake({ mmsi: 1, sources: ["ais"], ship_type: 70 }), false), esc(t("legend.ais")))
    + row(symbolSvg(fake({ sources: ["radar"] }), false), esc(t("legend.radar")))
    + row(symbolSvg(fake({ mmsi: 1, sources: ["partner"], ship_type: 70 }), false), esc(t("legend.partner")))
    + referenceLegendHtml()
    + `<details class="legend-types"><summary>${esc(t("legend.ship_types"))}</summary>`
    + SHIP_CATEGORIES.map((c) => swatch(c.colour, esc(shipLabel(c.key)))).join("") + `</details>`;
}
