// Vessel dossier: identity, identity changes, current state, events and track history (drawn on the map).
import * as L from "leaflet";
import { api } from "./api";
import { eventLabel, eventSummary } from "./alerts";
import { sharingText } from "./alert-text";
import { ApiError } from "./api";
import { shipCategory, trackClass } from "./symbols";
import { trackTitle } from "./tracks";
import type { HistoryFeature, SeaEvent, TrackProps, VesselDossier } from "./types";
import type { IdentityChange, VesselIdentity } from "./generated/api";
import { $, esc, fmtNum, isoMinute } from "./util";

type LatLon = [number, number];

const IDENTITY_FIELDS: [keyof VesselIdentity, string][] = [
  ["mmsi", "MMSI"], ["imo", "IMO"], ["callsign", "Call sign"], ["shipname", "Name"], ["ship_type", "Type"],
  ["length_m", "Length (m)"], ["destination", "Destination"], ["first_seen", "First seen"],
  ["last_seen", "Last seen"],
];

/** Epoch seconds shown to the minute in UTC. */
function fmtTime(epochS: number | null): string {
  return epochS === null ? "—" : isoMinute(epochS * 1000);
}

/** The history line's vertices as Leaflet positions. */
export function historyPoints(history: HistoryFeature | null | undefined): LatLon[] {
  return (history?.geometry.coordinates ?? []).map(([lon, lat]): LatLon => [lat, lon]);
}

export class DossierPanel {
  private readonly panel = $("dossier");
  private readonly title = $("dossier-title");
  private readonly body = $("dossier-body");
  private readonly history: L.LayerGroup;
  private token = 0;
  onEvent: (e: SeaEvent) => void = () => {};
  /** This node's id (from /api/health): events of any other origin were shared by a partner. */
  ownNode: string | undefined;
  onClose: () => void = () => {};
  /** The end of the period to show history for (live: undefined; replay: the picture time). */
  historyEnd: () => number | undefined = () => undefined;

  constructor(private readonly map: L.Map) {
    this.history = L.layerGroup().addTo(map);
    $("dossier-close").onclick = () => this.close();
  }

  close(): void {
    this.panel.hidden = true;
    this.history.clearLayers();
    this.token += 1;
    this.onClose();
  }

  /** Open for a track (any source); AIS tracks also load the vessel dossier by MMSI. */
  async open(trackIn: TrackProps | undefined, mmsi: number | undefined, event?: SeaEvent): Promise<void> {
    let track = trackIn;
    const token = ++this.token;
    this.panel.hidden = false;
    this.panel.dataset.state = "loading";
    const vesselMmsi = mmsi ?? (typeof track?.mmsi === "number" ? track.mmsi : undefined);
    this.panel.dataset.mmsi = vesselMmsi ? String(vesselMmsi) : "";
    this.panel.dataset.trackId = track?.track_id ?? event?.track_ids?.[0] ?? "";
    this.title.textContent = track ? trackTitle(track) : vesselMmsi ? `MMSI ${vesselMmsi}` : "Contact";
    this.body.innerHTML = `${event ? eventBlock(event, this.ownNode) : ""}${track ? stateBlock(track) : ""}`
      + `<p class="muted" data-testid="dossier-loading">loading…</p>`;
    this.history.clearLayers();

    let dossier: VesselDossier | null = null;
    let error = "";
    if (vesselMmsi) {
      try {
        dossier = await api.get("/api/vessels/{mmsi}", { path: { mmsi: vesselMmsi } });
      } catch (err) {
        error = missingText(err, event, this.ownNode);
      }
    }
    let points = historyPoints(dossier?.history);
    const trackId = track?.track_id ?? event?.track_ids?.[0];
    if (points.length === 0 && trackId) {
      try {
        const end = this.historyEnd();
        const start = (end ?? Date.now()) - 24 * 3600 * 1000;
        const params = end ? { start: new Date(start).toISOString(), end: new Date(end).toISOString() } : {};
        points = historyPoints(await api.get("/api/tracks/{track_id}/history", { path: { track_id: trackId }, query: params }));
      } catch (err) {
        error = error || missingText(err, event, this.ownNode);
      }
    }
    if (token !== this.token) return;

    const identity = dossier?.identity ?? null;
    track = track ?? dossier?.track?.properties;
    const name = identity?.shipname?.trim();
    if (name) this.title.textContent = name;
    const events = dossier?.events ?? [];
    const changes = dossier?.identity_changes ?? [];
    this.body.innerHTML = [
      event ? eventBlock(event, this.ownNode) : "",
      track ? stateBlock(track) : "",
      identityBlock(identity, vesselMmsi),
      changesBlock(changes),
      `<h3>Track history</h3><p data-testid="dossier-history-count">${points.length} positions</p>`,
      eventsBlock(events),
      error ? `<p class="error" data-testid="dossier-error">${esc(error)}</p>` : "",
    ].join("");
    this.body.querySelectorAll<HTMLElement>("[data-event-index]").forEach((el) => {
      el.onclick = () => this.onEvent(events[Number(el.dataset.eventIndex)]);
    });
    this.panel.dataset.state = "ready";
    if (points.length > 1) {
      L.polyline(points, { color: "#ffe14d", weight: 2, opacity: 0.85, dashArray: "4 3", interactive: false })
        .addTo(this.history);
      L.circleMarker(points[0], { radius: 3, color: "#ffe14d", interactive: false }).addTo(this.history);
    }
  }
}

function row(label: string, value: string, testid = ""): string {
  return `<tr${testid ? ` data-testid="${testid}"` : ""}><th>${esc(label)}</th><td>${value}</td></tr>`;
}

/** What to say when the vessel or its track is not held here: for a partner's event, why (it is the
 *  partner's, and what its policy withheld), never a bare "Not found". */
function missingText(err: unknown, event: SeaEvent | undefined, ownNode: string | undefined): string {
  if (!(err instanceof ApiError) || err.status !== 404) return (err as Error).message;
  const shared = event ? sharingText(event, ownNode) : [];
  if (!shared.length) return "No track or history of this vessel is held here.";
  return `No track or history of this vessel is held here: ${shared.join("; ")}.`;
}

function eventBlock(e: SeaEvent, ownNode?: string): string {
  const shared = sharingText(e, ownNode);
  return `<div class="dossier-event" data-testid="dossier-event" data-event-id="${esc(e.id)}"`
    + ` data-lat="${esc(e.lat)}" data-lon="${esc(e.lon)}">`
    + `<b>${esc(eventLabel(e.type))}</b> ${esc(isoMinute(Date.parse(e.start)))} → ${esc(isoMinute(Date.parse(e.end)))}`
    + `<br><span class="muted">${esc(eventSummary(e))}</span>`
    + (shared.length ? `<br><span class="share-note" data-testid="dossier-share">${esc(shared.join(" · "))}</span>` : "")
    + `</div>`;
}

function stateBlock(p: TrackProps): string {
  return `<table class="kv" data-testid="dossier-state">`
    + row("Track", esc(p.track_id))
    + row("Kind", esc(trackClass(p)), "dossier-kind")
    + row("Speed", fmtNum(p.sog_kn, 1, " kn"))
    + row("Course", fmtNum(p.cog_deg, 0, "°"))
    + row("Heading", fmtNum(p.heading_deg, 0, "°"))
    + row("Last seen", p.time ? esc(isoMinute(Date.parse(p.time))) : "—")
    + row("Sources", esc((p.sources ?? []).join(", ") || "—"))
    + row("Sensors", esc((p.sensors ?? []).join(", ") || "—"))
    + ((p.nodes ?? []).length ? row("Nodes", esc((p.nodes ?? []).join(", "))) : "")
    + `</table>`;
}

function identityBlock(identity: VesselIdentity | null, mmsi: number | undefined): string {
  const rows: string[] = [];
  for (const [key, label] of IDENTITY_FIELDS) {
    const value = key === "mmsi" ? identity?.mmsi ?? mmsi : identity?.[key];
    if (value == null || value === "") continue;
    const text = key === "ship_type" ? `${value} (${shipCategory(value as number).label})`
      : key === "first_seen" || key === "last_seen" ? fmtTime(value as number) : String(value);
    rows.push(row(label, esc(text), `dossier-${key}`));
  }
  if (!rows.length) return "";
  return `<h3>Identity</h3><table class="kv" data-testid="dossier-identity">${rows.join("")}</table>`;
}

function changesBlock(changes: IdentityChange[]): string {
  if (!changes.length) return "";
  const items = changes.slice(-20).reverse().map((c) => {
    const when = fmtTime(c.t);
    const what = `${c.field}: ${c.old} → ${c.new}`;
    return `<li><span class="muted">${esc(when)}</span> ${esc(what)}</li>`;
  });
  return `<h3>Identity changes</h3><ul class="list compact" data-testid="dossier-changes">${items.join("")}</ul>`;
}

function eventsBlock(events: SeaEvent[]): string {
  if (!events.length) return `<h3>Events</h3><p class="muted" data-testid="dossier-events">none</p>`;
  const items = events.slice(0, 50).map((e, i) =>
    `<li class="alert sev-low" data-event-index="${i}"><b>${esc(eventLabel(e.type))}</b> `
    + `<span class="muted">${esc(isoMinute(Date.parse(e.start)))}</span></li>`);
  return `<h3>Events</h3><ul class="list compact" data-testid="dossier-events">${items.join("")}</ul>`;
}
