// Seawatch web picture: wires login, map, live feed, alerts, dossier, filters, zones, replay and sightings.
import "leaflet/dist/leaflet.css";
import "@geoman-io/leaflet-geoman-free/dist/leaflet-geoman.css";
import "./styles.css";
import * as L from "leaflet";
import { AlertsPanel } from "./alerts";
import { eventLabel, whoText } from "./alert-text";
import type { AlertState } from "./alert-types";
import { api, ApiError } from "./api";
import { AssetLayer } from "./assets";
import { ChatPanel } from "./chat";
import { CasesPanel } from "./cases";
import { addBaseMap } from "./basemap";
import { addReferenceLayers } from "./layers";
import { setUpCredits } from "./attribution";
import { Profile } from "./profile";
import { VesselSearch } from "./search";
import { StatusBadge } from "./status";
import { DossierPanel } from "./dossier";
import { ExportControl } from "./export";
import { Filters } from "./filters";
import { InterceptView } from "./intercept";
import { fmtDateTime, isLanguage, language, onLanguageChange, remembered, setLanguage, t, translatePage } from "./i18n";
import { wireLanguageSwitches } from "./language-switch";
import { LinksPanel } from "./links";
import { LiveFeed } from "./live";
import { SightingForm } from "./sightings";
import { legendHtml } from "./symbols";
import { Timeline } from "./timeline";
import { TrackLayer } from "./tracks";
import { type Me, ROLES, type SeaEvent, type TrackProps } from "./types";
import { $, isoSeconds } from "./util";
import { ZoneLayer } from "./zones";

const DEFAULT_VIEW: [number, number, number] = [17, -70, 5]; // the Caribbean
const TRAIL_OFFSETS_MIN = [20, 10];
const EXPORT_WINDOW_MS = 3600 * 1000; // Download: the hour before the picture time
type View = { lat: number; lon: number; zoom: number };

/** `?view=lat,lon,zoom` in the page's address: open there (a link to a place), whatever the profile keeps. */
function linkedView(): View | null {
  const [lat, lon, zoom] = (new URLSearchParams(location.search).get("view") ?? "").split(",").map(Number);
  const ok = [lat, lon, zoom].every(Number.isFinite) && Math.abs(lat) <= 90 && zoom >= 0 && zoom <= 22;
  return ok ? { lat, lon, zoom } : null;
}

function showLogin(message = ""): void {
  $("app").hidden = true;
  $("login-screen").hidden = false;
  $("login-error").textContent = message;
  ($("login-username") as HTMLInputElement).focus();
}

async function currentUser(): Promise<Me | null> {
  try {
    return await api.get("/api/auth/me");
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) return null;
    throw err;
  }
}

class App {
  private readonly map: L.Map;
  private readonly tracks: TrackLayer;
  private readonly alerts: AlertsPanel;
  private readonly dossier: DossierPanel;
  private readonly filters = new Filters();
  private readonly zones: ZoneLayer;
  private readonly timeline = new Timeline();
  private readonly live = new LiveFeed();
  private readonly status = new StatusBadge();
  private readonly search = new VesselSearch();
  private readonly sightings: SightingForm;
  private readonly assets: AssetLayer;
  private readonly intercepts: InterceptView;
  private readonly chat: ChatPanel;
  private readonly cases: CasesPanel;
  private fitted = false;
  private replayToken = 0;
  /** The node's live window (`max_age_s` of /api/tracks): older tracks leave the live picture. */
  private liveMaxAgeS: number | null = null;

  constructor(private readonly me: Me, private readonly profile: Profile) {
    this.alerts = new AlertsPanel(profile);
    profile.onError = (message) => this.hint(t("msg.profile", { reason: message }));
    // the name in the top bar, the role in its tooltip (room for the longer languages at a laptop's width)
    const who = (): void => {
      $("user-name").textContent = me.name;
      $("user-name").title = `${me.name} (${t(`role.${me.role}`, { defaultValue: me.role })})`;
    };
    who(); // i18n-keys: role.viewer role.operator role.analyst role.admin
    onLanguageChange(who);
    // what the role may change (the node checks it anyway): sightings from operator, zones from analyst
    const rank = ROLES.indexOf(me.role);
    document.body.dataset.role = me.role;
    $("sighting-panel").hidden = rank < ROLES.indexOf("operator");
    $("zone-draw").hidden = $("zone-edit").hidden = rank < ROLES.indexOf("analyst");
    this.alerts.canAct = rank >= ROLES.indexOf("operator");
    this.chat = new ChatPanel(rank >= ROLES.indexOf("operator"), rank >= ROLES.indexOf("admin"));
    this.map = L.map("map", { zoomControl: true, worldCopyJump: true, preferCanvas: false, attributionControl: true });
    setUpCredits(this.map);
    this.chat.centre = () => [this.map.getCenter().lat, this.map.getCenter().wrap().lng];
    L.control.scale({ imperial: false, position: "bottomleft" }).addTo(this.map);
    this.restoreView();
    this.mapTitles();
    onLanguageChange(() => this.mapTitles());
    this.addLegend();
    this.addCursorReadout();
    void addBaseMap(this.map).catch((err) => this.failed("msg.basemap", err));
    const hiddenLayers = profile.get<{ hidden?: string[] } | null>("map.layers", null)?.hidden ?? [];
    void addReferenceLayers(this.map, Array.isArray(hiddenLayers) ? hiddenLayers : [], (hidden) => {
      void profile.set("map.layers", { hidden });
    }).catch((err) => this.failed("msg.layers", err));

    this.tracks = new TrackLayer(this.map);
    this.dossier = new DossierPanel(this.map);
    this.zones = new ZoneLayer(this.map);
    this.sightings = new SightingForm(this.map);
    const canTask = rank >= ROLES.indexOf("operator");
    this.assets = new AssetLayer(this.map, canTask);
    this.intercepts = new InterceptView(this.map, canTask);
    this.assets.onRelease = (id) => void this.intercepts.release(id);
    this.intercepts.onError = (m) => this.hint(m);
    new LinksPanel(document.querySelector("aside.side.left"));
    const right = document.querySelector("aside.side.right") as HTMLElement;
    this.cases = new CasesPanel(this.map, right, canTask, rank >= ROLES.indexOf("analyst"));
    this.cases.onError = (m) => this.hint(m);
    this.cases.view.onChat = (id) => void this.chat.openCase(id).catch((e) => this.hint(`chat: ${(e as Error).message}`));
    if (canTask) {
      // the case's title in the opener's words (the node's default is English from codes)
      this.alerts.onCase = (e) => void this.cases.open({
        event_id: e.id, title: `${eventLabel(e.type)}: ${whoText(e, this.alerts.nameOf)}`.slice(0, 200),
      });
      this.dossier.offerCase((trackId, mmsi) => {
        if (trackId) void this.cases.open({ track_id: trackId });
        else if (mmsi) void this.cases.open({ mmsi }); // its recent tracks are linked by the node
      });
    }

    this.tracks.onCounts = (total, shown) => {
      $("track-count").textContent = String(total);
      $("track-shown").textContent = String(shown);
    };
    this.tracks.onSelect = (p) => this.openTrack(p);
    this.alerts.onOpen = (e) => this.openEvent(e);
    void api.get("/api/health").then((h) => {
      this.alerts.setOwnNode(h.node_id);
      this.dossier.ownNode = h.node_id;
    }).catch(() => undefined);
    this.alerts.nameOf = (mmsi) => this.tracks.findByMmsi(mmsi)?.name?.trim() || undefined;
    this.search.liveMatches = (text) => this.tracks.search(text);
    this.search.onPick = ({ trackId, mmsi }) => {
      const track = (trackId ? this.tracks.get(trackId) : undefined) ?? (mmsi ? this.tracks.findByMmsi(mmsi) : undefined);
      const at = track ? this.tracks.position(track.track_id) : undefined;
      if (track && at) {
        this.map.setView(at, Math.max(this.map.getZoom(), 10), { animate: false });
        this.openTrack(track);
      } else if (mmsi) {
        void this.dossier.open(undefined, mmsi);
      }
    };
    // names beside the symbols from harbour-approach zoom in
    const labels = () => this.map.getContainer().classList.toggle("labels", this.map.getZoom() >= 9);
    this.map.on("zoomend", labels);
    labels();
    this.dossier.onEvent = (e) => this.openEvent(e);
    this.dossier.onClose = () => this.tracks.select(null);
    this.dossier.historyEnd = () => (this.timeline.live ? undefined : this.timeline.atMs ?? undefined);
    this.filters.onChange = (f) => this.tracks.setFilter(f);
    this.filters.onEdit = (state) => void profile.set("filters", state);
    this.filters.restore(profile.get("filters", null));
    this.zones.onChange = (z) => this.filters.setZones(z);
    this.zones.onError = (m) => this.hint(m);
    onLanguageChange(() => this.tick());
    this.timeline.onReplay = (at) => void this.replay(at);
    this.timeline.onLive = () => void this.goLive();
    this.sightings.defaultTime = () => this.timeline.atMs ?? (this.tracks.latestMs || Date.now());
    const pictureTime = () => (this.timeline.live ? this.tracks.latestMs || null : this.timeline.atMs);
    new ExportControl(this.map, pictureTime, EXPORT_WINDOW_MS).onError = (m) => this.hint(m);
    let dropped = false;
    this.live.onState = (state) => {
      // after a drop (e.g. the node closed a slow client), resynchronise the picture from the API
      if (state === "open" && dropped && this.timeline.live) void this.loadLatest();
      if (state === "closed") dropped = true;
      this.status.setLink(state);
    };
    this.live.onMessage = (m) => {
      if (m.kind === "track") {
        this.status.noteData();
        if (this.timeline.live) this.tracks.upsert(m.data);
      } else if (m.kind === "event") {
        this.alerts.add(m.data, true);
      } else if (m.kind === "alert_state") {
        this.alerts.setState(m.data);
      } else if (m.kind === "sighting") {
        this.sightings.show(m.data);
      } else if (m.kind === "asset") {
        this.assets.upsert(m.data);
      } else if (m.kind === "tasking") {
        this.intercepts.showTasking(m.data);
      } else if (m.kind === "case_message") {
        this.chat.onMessage(m.data);
      } else if (m.kind === "chat_room") {
        this.chat.onRoom(m.data);
      } else if (m.kind === "case") {
        this.cases.upsert(m.data);
      } else if (m.kind === "intercept") {
        this.intercepts.update(m.data);
      }
    };
    this.map.on("moveend", () => this.saveView());
    this.saveView(); // data-center for the restored view too
    setInterval(() => this.tick(), 1000);
  }

  async start(): Promise<void> {
    document.body.dataset.mode = "live";
    this.live.start();
    await Promise.all([
      this.loadLatest(),
      this.zones.load().catch((e) => this.failed("msg.zones", e)),
      this.sightings.load().catch((e) => this.failed("msg.sightings", e)),
      this.assets.load().catch((e) => this.failed("msg.assets", e)),
      this.cases.load(),
    ]);
    await this.intercepts.load().catch((e) => this.failed("msg.intercepts", e));
    this.tick();
    document.body.dataset.ready = "1";
  }

  stop(): void {
    this.live.stop();
  }

  private async loadLatest(): Promise<void> {
    const [tracks, events] = await Promise.all([
      api.get("/api/tracks").catch((e) => (this.failed("msg.tracks", e), null)),
      api.get("/api/alerts", { query: { limit: 300 } }).catch((e) => (this.failed("msg.events", e), null)),
    ]);
    if (tracks) this.liveMaxAgeS = tracks.max_age_s;
    for (const f of tracks?.features ?? []) this.tracks.upsert(f);
    this.alerts.load(events?.alerts ?? []);
    this.fitOnce();
  }

  private async replay(atMs: number): Promise<void> {
    const token = ++this.replayToken;
    this.status.setReplay(atMs);
    const span = Number(($("time-span") as HTMLSelectElement).value) * 1000;
    document.body.dataset.replay = "loading";
    try {
      const [now, ...older] = await Promise.all(
        [0, ...TRAIL_OFFSETS_MIN].map((m) => api.get("/api/tracks", { query: { at: isoSeconds(atMs - m * 60000) } })),
      );
      const events = await api.get(
        "/api/alerts", { query: { since: isoSeconds(atMs - span), until: isoSeconds(atMs), limit: 300 } },
      ).catch(() => null);
      if (token !== this.replayToken || this.timeline.live) return;
      const trails = new Map<string, [number, number][]>();
      for (const batch of older) {
        for (const f of batch.features) {
          const id = f.properties?.track_id;
          if (!id || !f.geometry) continue;
          const [lon, lat] = f.geometry.coordinates;
          trails.set(id, [...(trails.get(id) ?? []), [lat, lon]]);
        }
      }
      this.tracks.replaceAll(now.features, trails);
      this.alerts.load(events?.alerts ?? []);
      document.body.dataset.replay = "ready";
      $("time-label").dataset.count = String(this.tracks.size);
    } catch (err) {
      this.failed("msg.replay", err);
      document.body.dataset.replay = "error";
    }
  }

  private async goLive(): Promise<void> {
    this.replayToken += 1;
    this.status.setReplay(null);
    this.tracks.clear();
    delete document.body.dataset.replay;
    await this.loadLatest();
  }

  private openTrack(p: TrackProps): void {
    this.tracks.select(p.track_id);
    void this.dossier.open(p, typeof p.mmsi === "number" ? p.mmsi : undefined);
  }

  private openEvent(e: SeaEvent): void {
    if (!e) return;
    this.map.setView([e.lat, e.lon], Math.max(this.map.getZoom(), 9), { animate: false });
    const trackId = e.track_ids?.[0];
    const track = (trackId ? this.tracks.get(trackId) : undefined) ?? (e.mmsi?.[0] ? this.tracks.findByMmsi(e.mmsi[0]) : undefined);
    this.tracks.select(track?.track_id ?? trackId ?? null);
    this.flashAt(e.lat, e.lon);
    void this.dossier.open(track, e.mmsi?.[0], e);
  }

  private flashAt(lat: number, lon: number): void {
    const ring = L.circleMarker([lat, lon], { radius: 18, color: "#ffffff", weight: 3, fill: false, interactive: false, className: "focus-ring" })
      .addTo(this.map);
    setTimeout(() => ring.remove(), 4000);
  }

  private fitOnce(): void {
    if (this.fitted || this.tracks.size === 0) return;
    this.fitted = true;
    if (this.savedView() || linkedView()) return;
    const bounds = this.tracks.bounds();
    if (bounds) this.map.fitBounds(bounds.pad(0.05), { maxZoom: 6, animate: false }); // a region, even around one vessel
  }

  private tick(): void {
    const at = this.timeline.live ? this.tracks.latestMs : this.timeline.atMs;
    const clock = $("clock");
    clock.textContent = at ? fmtDateTime(at, { seconds: true }) : "—";
    if (at) clock.dataset.at = isoSeconds(at); // ISO 8601 for tests and tools
    this.status.render(this.tracks.latestMs);
    if (this.timeline.live) {
      this.timeline.follow(this.tracks.latestMs);
      if (this.liveMaxAgeS !== null) this.tracks.expire(this.liveMaxAgeS * 1000);
    }
    if (!this.fitted && this.tracks.size > 0) this.fitOnce();
  }

  /** The map view kept in the user's profile (`map.view`), if a valid one. */
  private savedView(): View | null {
    const v = this.profile.get<{ lat?: unknown; lon?: unknown; zoom?: unknown } | null>("map.view", null);
    const ok = v && [v.lat, v.lon, v.zoom].every((x) => typeof x === "number" && Number.isFinite(x));
    return ok ? (v as View) : null;
  }

  private restoreView(): void {
    const saved = linkedView() ?? this.savedView();
    this.map.setView(saved ? [saved.lat, saved.lon] : [DEFAULT_VIEW[0], DEFAULT_VIEW[1]], saved?.zoom ?? DEFAULT_VIEW[2]);
  }

  private saveView(): void {
    const c = this.map.getCenter();
    $("map").dataset.center = `${c.lat.toFixed(5)},${c.lng.toFixed(5)},${this.map.getZoom()}`;
    const saved = this.savedView();
    if (!this.fitted && !saved && !linkedView()) return; // the first fit to the data is no choice of the user's
    const view = { lat: Number(c.lat.toFixed(5)), lon: Number((((((c.lng + 180) % 360) + 360) % 360) - 180).toFixed(5)), zoom: this.map.getZoom() };
    if (saved && saved.lat === view.lat && saved.lon === view.lon && saved.zoom === view.zoom) return;
    void this.profile.set("map.view", view);
  }

  private addLegend(): void {
    const legend = new L.Control({ position: "bottomright" });
    legend.onAdd = () => {
      const div = L.DomUtil.create("div", "legend");
      div.dataset.testid = "legend";
      div.innerHTML = legendHtml();
      onLanguageChange(() => {
        const open = div.querySelector("details")?.open ?? false;
        div.innerHTML = legendHtml();
        const details = div.querySelector("details");
        if (details) details.open = open;
      });
      return div;
    };
    legend.addTo(this.map);
  }

  /** Leaflet's own control titles (zoom, layers) in the user's language. */
  private mapTitles(): void {
    const container = this.map.getContainer();
    for (const [selector, key] of [
      [".leaflet-control-zoom-in", "map.zoom_in"], [".leaflet-control-zoom-out", "map.zoom_out"],
      [".leaflet-control-layers-toggle", "map.layers"],
    ] as const) {
      for (const el of container.querySelectorAll<HTMLElement>(selector)) {
        el.title = t(key);
        el.setAttribute("aria-label", t(key));
      }
    }
  }

  private addCursorReadout(): void {
    const readout = new L.Control({ position: "bottomleft" });
    readout.onAdd = () => {
      const div = L.DomUtil.create("div", "cursor-readout");
      this.map.on("mousemove", (e: L.LeafletMouseEvent) => {
        div.textContent = `${e.latlng.lat.toFixed(4)}°, ${e.latlng.lng.toFixed(4)}°`;
      });
      return div;
    };
    readout.addTo(this.map);
  }

  private failed(what: string, err: unknown): void {
    this.hint(t("msg.failed", { what: t(what), reason: (err as Error).message }));
  }

  hint(message: string): void {
    const el = $("map-hint");
    el.textContent = message;
    el.hidden = false;
    setTimeout(() => (el.hidden = true), 6000);
  }
}

let app: App | null = null;
let profile: Profile | null = null; // the signed-in user's, once loaded

async function enter(): Promise<void> {
  const me = await currentUser();
  if (!me) {
    showLogin();
    return;
  }
  $("login-screen").hidden = true;
  $("app").hidden = false;
  app?.stop();
  const loaded = new Profile();
  await loaded.load();
  profile = loaded;
  const lang = loaded.get<unknown>("language", null);
  if (isLanguage(lang)) await setLanguage(lang); // the user's language on any browser
  else if (remembered()) void loaded.set("language", language()); // picked on the sign-in screen
  app = new App(me, loaded);
  await app.start();
}

function wireLogin(): void {
  const form = $("login-form") as HTMLFormElement;
  form.onsubmit = async (e) => {
    e.preventDefault();
    const username = ($("login-username") as HTMLInputElement).value.trim();
    const password = ($("login-password") as HTMLInputElement).value;
    $("login-error").textContent = "";
    try {
      await api.post("/api/auth/login", { username, password });
      ($("login-password") as HTMLInputElement).value = "";
      await enter();
    } catch (err) {
      $("login-error").textContent = err instanceof ApiError && err.status === 401
        ? t("msg.wrong_login") : (err as Error).message;
    }
  };
  $("logout").onclick = async () => {
    await api.post("/api/auth/logout", {}).catch(() => undefined);
    app?.stop();
    app = null;
    location.reload();
  };
  window.addEventListener("seawatch:unauthorized", () => {
    if (app) {
      app.stop();
      app = null;
      showLogin(t("msg.expired"));
    }
  });
}

translatePage();
wireLanguageSwitches((lang) => void profile?.set("language", lang).catch(() => undefined));
wireLogin();
void enter().catch((err) => showLogin(t("msg.unreachable", { reason: (err as Error).message })));
