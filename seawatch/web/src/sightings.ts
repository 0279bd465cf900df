// Sightings form: a patrol reports a contact; it is posted to /api/sightings and becomes an observation.
import * as L from "leaflet";
import { api } from "./api";
import { $, fromLocalInput, toLocalInput } from "./util";

function numberOrNull(id: string): number | null {
  const value = ($(id) as HTMLInputElement).value.trim();
  return value === "" ? null : Number(value);
}

export class SightingForm {
  private readonly form = $("sighting-form") as HTMLFormElement;
  private readonly result = $("sighting-result");
  private readonly marker: L.CircleMarker;
  private picking = false;
  /** Default time for a new report: the picture time (live data time or replay time). */
  defaultTime: () => number = () => Date.now();

  constructor(private readonly map: L.Map) {
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

  pick(): void {
    this.picking = true;
    document.body.dataset.picking = "1";
    this.result.textContent = "click the map where the contact is";
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
    const body = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== null && v !== ""));
    this.result.className = "note";
    try {
      const saved = await api.post<Record<string, unknown>>("/api/sightings", body);
      const id = saved && typeof saved === "object" ? saved.id ?? saved.sighting_id : undefined;
      this.result.textContent = `sighting sent${id ? ` (#${id})` : ""}`;
      this.result.dataset.state = "sent";
      ($("sighting-notes") as HTMLTextAreaElement).value = "";
      this.marker.remove();
    } catch (err) {
      this.result.className = "note error";
      this.result.textContent = (err as Error).message;
      this.result.dataset.state = "error";
    }
  }
}
