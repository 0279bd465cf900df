// Words for an alert: its label, who it is about (name, or "dark target, radar X") and why it fired
// (the rule's measured values against their thresholds, from the event's details.why).
import type { AlertEvent as SeaEvent } from "./alert-types";
import { fmtDuration } from "./util";

export type Severity = "alert" | "notice";

const LABELS: Record<string, string> = {
  speed_anomaly: "Go-fast",
  dark_target: "Dark target",
  ais_gap: "AIS gap",
  encounter: "Encounter",
  rendezvous: "Rendezvous",
  loitering: "Loitering",
  zone_entry: "Zone entry",
  zone_exit: "Zone exit",
  position_jump: "Position jump",
  identity_conflict: "Identity conflict",
  port_visit: "Port visit",
  watchlist_hit: "Watchlist hit",
  sensor_silent: "Sensor silent",
};

/** Until every event carries `severity` (alerts-core): the product's defaults per type. */
const DEFAULT_ALERT_TYPES = new Set(["dark_target", "speed_anomaly", "watchlist_hit", "encounter", "ais_gap", "rendezvous"]);

export function eventLabel(type: string): string {
  return LABELS[type] ?? type.replace(/_/g, " ");
}

export function severityOf(e: SeaEvent): Severity {
  if (e.severity === "alert" || e.severity === "notice") return e.severity;
  return DEFAULT_ALERT_TYPES.has(e.type) ? "alert" : "notice";
}

/** Who the alert is about: vessel names (else MMSI), or the sensor that saw a dark target. */
export function whoText(e: SeaEvent, nameOf: (mmsi: number) => string | undefined): string {
  const d = e.details ?? {};
  if (e.type === "dark_target" && !e.mmsi?.length) {
    const kind = typeof d.sensor === "string" && d.sensor ? d.sensor : "sensor";
    const sites = Array.isArray(d.sensors) ? d.sensors.join(", ") : "";
    const named = typeof d.identified_mmsi === "number" ? ` · later AIS ${nameOf(d.identified_mmsi) ?? d.identified_mmsi}` : "";
    return `dark target, ${kind}${sites ? ` ${sites}` : ""}${named}`;
  }
  if (e.mmsi?.length) {
    return e.mmsi.map((m) => {
      const name = nameOf(m);
      return name ? `${name} (${m})` : `MMSI ${m}`;
    }).join(" + ");
  }
  if (e.type === "sensor_silent" && typeof d.sensor === "string") return `sensor ${d.sensor}`;
  return e.track_ids?.length ? `track ${e.track_ids[0]}` : "";
}

const MEASURES: Record<string, string> = {
  median_sog_kn: "median speed",
  max_sog_kn: "top speed",
  duration_s: "lasted",
  shore_distance_m: "from shore",
  port_distance_m: "from port",
  median_distance_m: "apart",
  distance_to_nearest_ais_m: "nearest AIS",
  implied_sog_kn: "implied speed",
  distance_m: "jump",
  entry_distance_m: "closest to port",
  stop_s: "stopped",
  jumps: "jumps",
};

function quantity(key: string, value: unknown): string {
  if (value === null || value === undefined) return "no limit";
  if (typeof value !== "number" || !Number.isFinite(value)) return String(value);
  if (key.endsWith("_kn")) return `${value.toFixed(1)} kn`;
  if (key.endsWith("_s")) return fmtDuration(value);
  if (key.endsWith("_m")) return value >= 1000 ? `${(value / 1000).toFixed(1)} km` : `${Math.round(value)} m`;
  return String(Math.round(value * 10) / 10);
}

interface Check { measured: string; value: unknown; op: string; threshold: string; limit: unknown }

/** "median speed 31.2 kn ≥ 25.0 kn · lasted 14 min ≥ 10 min" (measured against thresholds). */
export function whyText(e: SeaEvent): { rule: string; checks: string[] } {
  const d = e.details ?? {};
  const why = d.why as { rule?: string; checks?: Check[] } | undefined;
  const checks = (why?.checks ?? []).map((c) => {
    const op = c.op === ">=" ? "≥" : c.op === "<=" ? "≤" : c.op;
    const name = MEASURES[c.measured] ?? c.measured.replace(/_(kn|m|s)$/, "").replace(/_/g, " ");
    return `${name} ${quantity(c.measured, c.value)} ${op} ${quantity(c.measured, c.limit)}`;
  });
  if (!checks.length && typeof d.distance_to_nearest_ais_m === "number") {
    checks.push(`nearest AIS ${quantity("distance_to_nearest_ais_m", d.distance_to_nearest_ais_m)}`);
  }
  if (typeof d.zone_name === "string") checks.unshift(`zone ${d.zone_name}${typeof d.zone_kind === "string" ? ` (${d.zone_kind.replace(/_/g, " ")})` : ""}`);
  return { rule: why?.rule ?? "", checks };
}

/** Where a shared event came from: "from bb", "also reported by bb, jm", and the positions the
 *  sharing partner's policy withheld ("bb withheld: end position"), so an operator is told why
 *  a place or a track is missing instead of meeting a bare "not found". */
export function sharingText(e: SeaEvent, ownNode?: string): string[] {
  const d = e.details ?? {};
  const origin = (e as { origin?: string | null }).origin ?? undefined;
  const partner = origin && origin !== ownNode ? origin : undefined;
  const out: string[] = [];
  if (partner) out.push(`shared by ${partner}`);
  const also = Array.isArray(d.also_reported_by) ? (d.also_reported_by as unknown[]).map(String) : [];
  if (also.length) out.push(`also reported by ${also.join(", ")}`);
  const withheld = Array.isArray(d.withheld) ? (d.withheld as unknown[]).map(String) : [];
  if (withheld.length) {
    const names = withheld.map((w) => `${w.replace(/^details\./, "").replace(/_/g, " ")} position`);
    out.push(`${partner ?? "the sharing partner"} withheld: ${names.join(", ")}`);
  }
  return out;
}

/** One line for the dossier's event list: why it fired, and for how long. */
export function eventSummary(e: SeaEvent): string {
  const why = whyText(e);
  const span = (Date.parse(e.end) - Date.parse(e.start)) / 1000;
  return [...(why.checks.length ? why.checks : [why.rule]), ...(span > 0 ? [fmtDuration(span)] : [])].filter(Boolean).join(" · ");
}
