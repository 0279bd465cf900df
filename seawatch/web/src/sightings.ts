// Sightings form: a patrol reports a contact; it is posted to /api/sightings and becomes an observation.
import * as L from "leaflet";
import { api } from "./api";
import type { Sighting } from "./types";
import type { SightingIn } from "./generated/api";
import { fmtDateTime, fmtQuantity, t } from "./i18n";
import { problemText } from "./problem-text";
import { $, esc, fromLocalInput, toLocalInput } from "./util";

const MAX_SHOWN = 200;

function numberOrNull(id: string): number | null {
  const value = ($(id) as HTMLInputElement).value.trim();
  return value === "" ? null : Number(value);
}

export class SightingForm {
  private readonly form = $("sighting-form") as HTMLFormElement;
  private readonly result = $("sighting-result");
  private readonly marker: L.CircleMarker;
  private picking = false;
  private readonly reports: L.LayerGroup;
  private readonly shown = new Map<string, L.Marker>();
  /** Default time for a new report: the picture time (live data time or replay time). */
  defaultTime: () => number = () => Date.now();

  constructor(private readonly map: L.Map) {
    this.reports = L.layerGroup().addTo(map);
    this.marker = L.circleMarker([0, 0], { radius: 7, color: "#ffe14d", weight: 2, fillOpacity: 0.2, interactive: false });
    $("sighting-pick").onclick = () => this.pick();
    map.on("click", (e: L.LeafletMouseEvent) => {
      if (!this.picking) return;
      this.picking = false;
      document.body.dataset.picking = "";
      this.setPosition(e.latlng.lat, e.latlng.lng);
    });
    this.form.onsubmit = (e) => {
      e.preventDefault();
      void this.submit();
    };
    this.form.addEventListener("focusin", () => {
      const time = $("sighting-time") as HTMLInputElement;
      if (!time.value) time.value = toLocalInput(this.defaultTime(), true);
    });
  }

  async load(): Promise<void> {
    const rows = await api.get("/api/sightings");
    for (const row of rows.slice(0, MAX_SHOWN)) this.show(row);
  }

  /** Put a reported sighting on the map (a yellow star with the report in a popup). */
  show(s: Sighting): void {
    if (!Number.isFinite(s.lat) || !Number.isFinite(s.lon)) return;
    const key = s.id;
    if (this.shown.has(key)) return;
    const ms = s.t * 1000;
    const marker = L.marker([s.lat, s.lon], {
      icon: L.divIcon({
        className: "sighting-icon",
        iconSize: [20, 20],
        iconAnchor: [10, 10],
        html: `<div data-testid="sighting-marker" data-sighting-id="${esc(key)}">★</div>`,
      }),
      keyboard: false,
      zIndexOffset: 2000, // above the track its report creates
    });
    marker.bindPopup(
      () => `<b>${esc(t("sighting.popup"))}${s.name ? `: ${esc(s.name)}` : ""}</b><br>${Number.isFinite(ms) ? esc(fmtDateTime(ms)) : ""}`
        + ` · ${esc(s.reported_by ?? "")}<br>${s.mmsi ? `MMSI ${esc(s.mmsi)} · ` : ""}`
        + `${esc(fmtQuantity(s.sog_kn, "kn", 0))} · ${typeof s.cog_deg === "number" ? `${Math.round(s.cog_deg)}°` : "—"}`
        + `${s.notes ? `<br>${esc(s.notes)}` : ""}`,
      { className: "dark-popup" },
    );
    marker.addTo(this.reports);
    this.shown.set(key, marker);
    if (this.shown.size > MAX_SHOWN) {
      const [oldest, m] = this.shown.entries().next().value as [string, L.Marker];
      m.remove();
      this.shown.delete(oldest);
    }
  }

  pick(): void {
    this.picking = true;
    document.body.dataset.picking = "1";
    this.result.textContent = t("sighting.click_map");
  }

  setPosition(lat: number, lon: number): void {
    ($("sighting-lat") as HTMLInputElement).value = lat.toFixed(5);
    ($("sighting-lon") as HTMLInputElement).value = lon.toFixed(5);
    this.marker.setLatLng([lat, lon]).addTo(this.map);
    this.result.textContent = "";
  }

  private async submit(): Promise<void> {
    const timeMs = fromLocalInput(($("sighting-time") as HTMLInputElement).value) ?? this.defaultTime();
    const name = ($("sighting-name") as HTMLInputElement).value.trim();
    const notes = ($("sighting-notes") as HTMLTextAreaElement).value.trim();
    const fields: Record<string, unknown> = {
      time: new Date(timeMs).toISOString(),
      lat: numberOrNull("sighting-lat"),
      lon: numberOrNull("sighting-lon"),
      mmsi: numberOrNull("sighting-mmsi"),
      cog_deg: numberOrNull("sighting-cog"),
      sog_kn: numberOrNull("sighting-sog"),
      name,
      notes,
    };
    // left out when empty: the node names a missing or invalid field in its answer (problem+json)
    const body = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== null && v !== "")) as SightingIn;
    this.result.className = "note";
    try {
      const saved = await api.post("/api/sightings", body);
      this.show(saved);
      this.result.textContent = t("sighting.sent", { id: saved.id });
      this.result.dataset.state = "sent";
      ($("sighting-notes") as HTMLTextAreaElement).value = "";
      this.marker.remove();
    } catch (err) {
      this.result.className = "note error";
      this.result.textContent = problemText(err, (err as Error).message);
      this.result.dataset.state = "error";
    }
  }
}
