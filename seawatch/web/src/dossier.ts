// Vessel dossier: identity, identity changes, current state, events and track history (drawn on the map).
import * as L from "leaflet";
import { api } from "./api";
import { eventLabel, eventSummary } from "./alerts";
import { sharingText } from "./alert-text";
import { ApiError } from "./api";
import { shipCategory, shipLabel, trackClass } from "./symbols";
import { trackTitle } from "./tracks";
import type { HistoryFeature, SeaEvent, TrackProps, VesselDossier } from "./types";
import type { IdentityChange, VesselIdentity } from "./generated/api";
import { fmtDateTime, fmtQuantity, locale, onLanguageChange, t } from "./i18n";
import { $, esc } from "./util";

type LatLon = [number, number];

const IDENTITY_FIELDS: (keyof VesselIdentity)[] = [
  "mmsi", "imo", "callsign", "shipname", "ship_type", "length_m", "destination", "first_seen", "last_seen",
];

function identityLabel(key: keyof VesselIdentity): string {
  // i18n-keys: dossier.mmsi dossier.imo dossier.callsign dossier.shipname dossier.ship_type dossier.destination
  // i18n-keys: dossier.first_seen dossier.last_seen
  return key === "length_m" ? t("dossier.length", { unit: t("unit.m") }) : t(`dossier.${key}`);
}

/** Epoch seconds shown to the minute in UTC, in the user's locale. */
function fmtTime(epochS: number | null): string {
  return epochS === null ? "—" : fmtDateTime(epochS * 1000);
}

function fmtAngle(value: unknown): string {
  return typeof value === "number" && Number.isFinite(value) ? `${Math.round(value)}°` : "—";
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
  private last: [TrackProps | undefined, number | undefined, SeaEvent | undefined] | null = null;
  onEvent: (e: SeaEvent) => void = () => {};
  /** This node's id (from /api/health): events of any other origin were shared by a partner. */
  ownNode: string | undefined;
  onClose: () => void = () => {};
  /** The end of the period to show history for (live: undefined; replay: the picture time). */
  historyEnd: () => number | undefined = () => undefined;

  /** "Open case" for the track or vessel shown (operators); unset: no button. */
  onCase: ((trackId: string | undefined, mmsi: number | undefined) => void) | null = null;

  constructor(private readonly map: L.Map) {
    this.history = L.layerGroup().addTo(map);
    $("dossier-close").onclick = () => this.close();
    onLanguageChange(() => {
      if (!this.panel.hidden && this.last) void this.open(...this.last);
    });
  }

  /** Offer "Open case" in the dossier's header. */
  offerCase(onCase: (trackId: string | undefined, mmsi: number | undefined) => void): void {
    this.onCase = onCase;
    const button = document.createElement("button");
    button.className = "small ghost";
    button.dataset.testid = "dossier-open-case";
    button.dataset.i18n = "cases.open_case"; // translatePage redraws it with the language
    button.textContent = t("cases.open_case");
    button.onclick = () => {
      const mmsi = Number(this.panel.dataset.mmsi);
      this.onCase?.(this.panel.dataset.trackId || undefined, Number.isFinite(mmsi) && mmsi > 0 ? mmsi : undefined);
    };
    $("dossier-close").before(button);
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
    this.last = [trackIn, mmsi, event];
    const token = ++this.token;
    this.panel.hidden = false;
    this.panel.dataset.state = "loading";
    const vesselMmsi = mmsi ?? (typeof track?.mmsi === "number" ? track.mmsi : undefined);
    this.panel.dataset.mmsi = vesselMmsi ? String(vesselMmsi) : "";
    this.panel.dataset.trackId = track?.track_id ?? event?.track_ids?.[0] ?? "";
    this.title.textContent = track ? trackTitle(track) : vesselMmsi ? `MMSI ${vesselMmsi}` : t("dossier.contact");
    this.body.innerHTML = `${event ? eventBlock(event, this.ownNode) : ""}${track ? stateBlock(track) : ""}`
      + `<p class="muted" data-testid="dossier-loading">${esc(t("dossier.loading"))}</p>`;
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
    if (track?.track_id) this.panel.dataset.trackId = track.track_id;
    const name = identity?.shipname?.trim();
    if (name) this.title.textContent = name;
    const events = dossier?.events ?? [];
    const changes = dossier?.identity_changes ?? [];
    this.body.innerHTML = [
      event ? eventBlock(event, this.ownNode) : "",
      track ? stateBlock(track) : "",
      identityBlock(identity, vesselMmsi),
      changesBlock(changes),
      `<h3>${esc(t("dossier.history"))}</h3>`
        + `<p data-testid="dossier-history-count">${esc(t("dossier.positions", { n: points.length.toLocaleString(locale()) }))}</p>`,
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

function row(label: string, value: string, testid = "", code = ""): string {
  const attrs = `${testid ? ` data-testid="${testid}"` : ""}${code ? ` data-value="${esc(code)}"` : ""}`;
  return `<tr${attrs}><th>${esc(label)}</th><td>${value}</td></tr>`;
}

/** What to say when the vessel or its track is not held here: for a partner's event, why (it is the
 *  partner's, and what its policy withheld), never a bare "Not found". */
function missingText(err: unknown, event: SeaEvent | undefined, ownNode: string | undefined): string {
  if (!(err instanceof ApiError) || err.status !== 404) return (err as Error).message;
  const shared = event ? sharingText(event, ownNode) : [];
  if (!shared.length) return t("share.not_held");
  return t("share.not_held_why", { why: shared.join("; ") });
}

function eventBlock(e: SeaEvent, ownNode?: string): string {
  const shared = sharingText(e, ownNode);
  return `<div class="dossier-event" data-testid="dossier-event" data-event-id="${esc(e.id)}"`
    + ` data-lat="${esc(e.lat)}" data-lon="${esc(e.lon)}">`
    + `<b>${esc(eventLabel(e.type))}</b> ${esc(fmtDateTime(Date.parse(e.start)))} → ${esc(fmtDateTime(Date.parse(e.end)))}`
    + `<br><span class="muted">${esc(eventSummary(e))}</span>`
    + (shared.length ? `<br><span class="share-note" data-testid="dossier-share">${esc(shared.join(" · "))}</span>` : "")
    + `</div>`;
}

function stateBlock(p: TrackProps): string {
  return `<table class="kv" data-testid="dossier-state">`
    + row(t("dossier.track"), esc(p.track_id))
    + row(t("dossier.kind"), esc(t(`track_class.${trackClass(p)}`)), "dossier-kind", trackClass(p))
    + row(t("dossier.speed"), esc(fmtQuantity(p.sog_kn, "kn")))
    + row(t("dossier.course"), fmtAngle(p.cog_deg))
    + row(t("dossier.heading"), fmtAngle(p.heading_deg))
    + row(t("dossier.last_seen"), p.time ? esc(fmtDateTime(Date.parse(p.time))) : "—")
    + row(t("dossier.sources"), esc((p.sources ?? []).join(", ") || "—"))
    + row(t("dossier.sensors"), esc((p.sensors ?? []).join(", ") || "—"))
    + ((p.nodes ?? []).length ? row(t("dossier.nodes"), esc((p.nodes ?? []).join(", "))) : "")
    + `</table>`;
}

function identityBlock(identity: VesselIdentity | null, mmsi: number | undefined): string {
  const rows: string[] = [];
  for (const key of IDENTITY_FIELDS) {
    const value = key === "mmsi" ? identity?.mmsi ?? mmsi : identity?.[key];
    if (value == null || value === "") continue;
    const text = key === "ship_type" ? `${value} (${shipLabel(shipCategory(value as number).key)})`
      : key === "first_seen" || key === "last_seen" ? fmtTime(value as number) : String(value);
    rows.push(row(identityLabel(key), esc(text), `dossier-${key}`));
  }
  if (!rows.length) return "";
  return `<h3>${esc(t("dossier.identity"))}</h3><table class="kv" data-testid="dossier-identity">${rows.join("")}</table>`;
}

function changesBlock(changes: IdentityChange[]): string {
  if (!changes.length) return "";
  const items = changes.slice(-20).reverse().map((c) => {
    const when = fmtTime(c.t);
    const what = `${c.field}: ${c.old} → ${c.new}`;
    return `<li><span class="muted">${esc(when)}</span> ${esc(what)}</li>`;
  });
  return `<h3>${esc(t("dossier.identity_changes"))}</h3><ul class="list compact" data-testid="dossier-changes">${items.join("")}</ul>`;
}

function eventsBlock(events: SeaEvent[]): string {
  const head = `<h3>${esc(t("dossier.events"))}</h3>`;
  if (!events.length) return `${head}<p class="muted" data-testid="dossier-events">${esc(t("dossier.none"))}</p>`;
  const items = events.slice(0, 50).map((e, i) =>
    `<li class="alert sev-low" data-event-index="${i}"><b>${esc(eventLabel(e.type))}</b> `
    + `<span class="muted">${esc(fmtDateTime(Date.parse(e.start)))}</span></li>`);
  return `${head}<ul class="list compact" data-testid="dossier-events">${items.join("")}</ul>`;
}
