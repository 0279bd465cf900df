// Alerts panel: newest events first; new ones flash; a click centres the map and opens the dossier.
import type { SeaEvent } from "./types";
import { $, esc, fmtDuration, isoMinute } from "./util";

const MAX_ALERTS = 300;
/** At most this many alerts flash at once: a wall of flashing tells the officer nothing (and costs CPU). */
const MAX_FLASHING = 5;

const LABELS: Record<string, [string, "high" | "medium" | "low"]> = {
  speed_anomaly: ["Go-fast speed", "high"],
  dark_target: ["Dark target", "high"],
  ais_gap: ["AIS gap", "medium"],
  encounter: ["Encounter", "high"],
  rendezvous: ["Rendezvous", "high"],
  loitering: ["Loitering", "medium"],
  zone_entry: ["Zone entry", "medium"],
  zone_exit: ["Zone exit", "low"],
  position_jump: ["Position jump", "low"],
  identity_conflict: ["Identity conflict", "medium"],
  port_visit: ["Port visit", "low"],
  watchlist_hit: ["Watchlist hit", "high"],
  sensor_silent: ["Sensor silent", "medium"],
};

export function eventLabel(type: string): string {
  return LABELS[type]?.[0] ?? type.replace(/_/g, " ");
}

export function eventSeverity(type: string): string {
  return LABELS[type]?.[1] ?? "low";
}

export function eventSummary(e: SeaEvent): string {
  const d = e.details ?? {};
  const parts: string[] = [];
  if (e.mmsi?.length) parts.push(e.mmsi.map((m) => String(m)).join(" + "));
  else if (e.track_ids?.length) parts.push(`track ${e.track_ids[0]}`);
  for (const [key, unit, digits] of [
    ["max_sog_kn", " kn max", 1], ["median_sog_kn", " kn median", 1], ["distance_m", " m", 0],
    ["nearest_ais_m", " m to AIS", 0], ["implied_sog_kn", " kn implied", 0],
  ] as const) {
    const v = d[key];
    if (typeof v === "number") parts.push(`${v.toFixed(digits)}${unit}`);
  }
  if (typeof d.zone === "string" || typeof d.zone_name === "string") parts.push(String(d.zone_name ?? d.zone));
  if (typeof d.name === "string") parts.push(d.name);
  const span = (Date.parse(e.end) - Date.parse(e.start)) / 1000;
  if (span > 0) parts.push(fmtDuration(span));
  return parts.join(" · ");
}

export class AlertsPanel {
  private readonly events = new Map<string, SeaEvent>();
  private readonly list = $("alert-list") as HTMLUListElement;
  private readonly count = $("alert-count");
  private flashing: HTMLLIElement[] = [];
  onOpen: (e: SeaEvent) => void = () => {};

  constructor() {
    const level = $("alert-level") as HTMLSelectElement;
    level.onchange = () => (this.list.dataset.level = level.value);
  }

  /** Load a batch without flashing (initial load or replay). */
  load(events: SeaEvent[]): void {
    this.events.clear();
    this.list.replaceChildren();
    const sorted = [...events].sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
    for (const e of sorted.slice(-MAX_ALERTS)) this.add(e, false);
  }

  /** A live event: new ones flash; an update to a known event (same id) refreshes it in place. */
  add(e: SeaEvent, flash = true): void {
    if (!e || !e.id || !e.type) return;
    const known = this.events.has(e.id);
    this.events.set(e.id, e);
    const existing = this.list.querySelector<HTMLLIElement>(`li[data-event-id="${CSS.escape(e.id)}"]`);
    const item = existing ?? document.createElement("li");
    this.fill(item, e);
    if (!existing) this.list.prepend(item);
    if (flash && !known) {
      item.classList.add("flash");
      this.flashing.push(item);
      while (this.flashing.length > MAX_FLASHING) this.flashing.shift()?.classList.remove("flash");
      setTimeout(() => {
        item.classList.remove("flash");
        this.flashing = this.flashing.filter((x) => x !== item);
      }, 6000);
      const panel = this.list.closest(".panel");
      panel?.classList.remove("flash-panel");
      void (panel as HTMLElement | null)?.offsetWidth;
      panel?.classList.add("flash-panel");
    }
    while (this.list.children.length > MAX_ALERTS) {
      const last = this.list.lastElementChild as HTMLElement;
      this.events.delete(last.dataset.eventId ?? "");
      last.remove();
    }
    this.count.textContent = String(this.events.size);
  }

  get(id: string): SeaEvent | undefined {
    return this.events.get(id);
  }

  private fill(item: HTMLLIElement, e: SeaEvent): void {
    item.className = `alert sev-${eventSeverity(e.type)}${item.classList.contains("flash") ? " flash" : ""}`;
    item.dataset.testid = "alert-item";
    item.dataset.eventId = e.id;
    item.dataset.eventType = e.type;
    item.tabIndex = 0;
    item.innerHTML = `<div class="alert-head"><span class="alert-type">${esc(eventLabel(e.type))}</span>`
      + `<span class="alert-time">${esc(isoMinute(Date.parse(e.start)))}</span></div>`
      + `<div class="alert-summary">${esc(eventSummary(e))}</div>`;
    // open the latest version of the event (a live event grows and keeps its id)
    item.onclick = () => this.onOpen(this.events.get(e.id) ?? e);
    item.onkeydown = (k) => {
      if (k.key === "Enter") this.onOpen(this.events.get(e.id) ?? e);
    };
  }
}
