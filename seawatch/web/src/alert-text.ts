// Words for an alert: its label, who it is about (name, or "dark target, radar X") and why it fired
// (the rule's measured values against their thresholds, from the event's details.why).
import type { AlertEvent as SeaEvent } from "./alert-types";
import { fmtDuration, fmtNumber, fmtQuantity, t } from "./i18n";
import { kindLabel } from "./zone-kinds";

export type Severity = "alert" | "notice";

/** The event type's name in the user's language (the type itself, spaced, when the catalogue lacks it). */
/** Until every event carries `severity` (alerts-core): the product's defaults per type. */
/** Until every event carries `severity` (alerts-core): the product's defaults per type. */
const DEFAULT_ALERT_TYPES = new Set(["dark_target", "speed_anomaly", "watchlist_hit", "encounter", "ais_gap", "rendezvous"]);

export function eventLabel(type: string): string {
  return t(`event.${type}`, { defaultValue: type.replace(/_/g, " ") });
}

export function severityOf(e: SeaEvent): Severity {
  if (e.severity === "alert" || e.severity === "notice") return e.severity;
  return DEFAULT_ALERT_TYPES.has(e.type) ? "alert" : "notice";
}

/** Who the alert is about: vessel names (else MMSI), or the sensor that saw a dark target. */
export function whoText(e: SeaEvent, nameOf: (mmsi: number) => string | undefined): string {
  const d = e.details ?? {};
  if (e.type === "dark_target" && !e.mmsi?.length) {
    // i18n-keys: who.radar who.satellite who.sighting who.partner who.ais who.any_sensor
    const kind = typeof d.sensor === "string" && d.sensor // one kind, or several: "radar,sighting"
      ? d.sensor.split(",").map((s) => t(`who.${s}`, { defaultValue: s })).join(", ") : t("who.any_sensor");
    const sites = Array.isArray(d.sensors) ? d.sensors.join(", ") : "";
    const named = typeof d.identified_mmsi === "number"
      ? ` · ${t("who.later_ais", { name: nameOf(d.identified_mmsi) ?? d.identified_mmsi })}` : "";
    return `${t("who.dark_target", { sensor: `${kind}${sites ? ` ${sites}` : ""}` })}${named}`;
  }
  if (e.mmsi?.length) {
    return e.mmsi.map((m) => {
      const name = nameOf(m);
      return name ? `${name} (${m})` : `MMSI ${m}`;
    }).join(" + ");
  }
  if (e.type === "sensor_silent" && typeof d.sensor === "string") return t("who.sensor", { name: d.sensor });
  return e.track_ids?.length ? t("who.track", { id: e.track_ids[0] }) : "";
}

function quantity(key: string, value: unknown): string {
  if (value === null || value === undefined) return t("measure.no_limit");
  if (typeof value !== "number" || !Number.isFinite(value)) return String(value);
  if (key.endsWith("_kn")) return fmtQuantity(value, "kn");
  if (key.endsWith("_s")) return fmtDuration(value);
  if (key.endsWith("_m")) return value >= 1000 ? fmtQuantity(value / 1000, "km") : fmtQuantity(value, "m", 0);
  return fmtNumber(value, Number.isInteger(value) ? 0 : 1);
}

/** What a check measured, in words: `measure.median_sog_kn` ("median speed"). */
function measureName(key: string): string {
  return t(`measure.${key}`, { defaultValue: key.replace(/_(kn|m|s)$/, "").replace(/_/g, " ") });
}

/** "median speed 31.2 kn ≥ 25.0 kn · lasted 14 min ≥ 10 min" (measured against thresholds). */
export function whyText(e: SeaEvent): { rule: string; checks: string[] } {
  const d = e.details ?? {};
  const why = d.why ?? undefined;
  const checks = (why?.checks ?? []).map((c) => {
    const op = c.op === ">=" ? "≥" : c.op === "<=" ? "≤" : c.op;
    const name = measureName(c.measured);
    return `${name} ${quantity(c.measured, c.value)} ${op} ${quantity(c.measured, c.limit)}`;
  });
  if (!checks.length && typeof d.distance_to_nearest_ais_m === "number") {
    checks.push(`${measureName("distance_to_nearest_ais_m")} ${quantity("distance_to_nearest_ais_m", d.distance_to_nearest_ais_m)}`);
  }
  if (typeof d.zone_name === "string") {
    const kind = typeof d.zone_kind === "string" ? ` (${kindLabel(d.zone_kind)})` : "";
    checks.unshift(`${t("who.zone", { name: d.zone_name })}${kind}`);
  }
  return { rule: t(`rule.${e.type}`, { defaultValue: why?.rule ?? "" }), checks };
}

/** Where a shared event came from: "from bb", "also reported by bb, jm", and the positions the
 *  sharing partner's policy withheld ("bb withheld: end position"), so an operator is told why
 *  a place or a track is missing instead of meeting a bare "not found". */
export function sharingText(e: SeaEvent, ownNode?: string): string[] {
  const d = e.details ?? {};
  const origin = e.origin ?? undefined;
  const partner = origin && origin !== ownNode ? origin : undefined;
  const out: string[] = [];
  if (partner) out.push(t("share.by", { node: partner }));
  const also = d.also_reported_by ?? [];
  if (also.length) out.push(t("share.also", { nodes: also.join(", ") }));
  const withheld = d.withheld ?? [];
  if (withheld.length) {
    const names = withheld.map((w) => t("share.position", { field: w.replace(/^details\./, "").replace(/_/g, " ") }));
    out.push(t("share.withheld", { node: partner ?? t("share.partner"), fields: names.join(", ") }));
  }
  return out;
}

/** One line for the dossier's event list: why it fired, and for how long. */
export function eventSummary(e: SeaEvent): string {
  const why = whyText(e);
  const span = (Date.parse(e.end) - Date.parse(e.start)) / 1000;
  return [...(why.checks.length ? why.checks : [why.rule]), ...(span > 0 ? [fmtDuration(span)] : [])].filter(Boolean).join(" · ");
}
