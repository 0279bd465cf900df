// The track layer: keeps the latest state and a short trail per track, draws what passes the filters in view.
import * as L from "leaflet";
import type { TrackFeature, TrackProps } from "./types";
import { DenseCanvas, type DenseItem } from "./dense";
import { shipCategory, shipCategoryKey, shipLabel, symbolSvg, trackClass } from "./symbols";
import { GO_FAST_KN, hasOpenAlert } from "./threat";
import { LABEL_SIDES, LabelMeasure, placeLabels, type LabelCandidate, type PlaceStats, type SymbolBox } from "./labels";
import { fmtQuantity, t } from "./i18n";
import { esc } from "./util";

const TRAIL_POINTS = 20;
const STALE_MS = 20 * 60 * 1000;
/**
 * Above this many tracks in view, all are drawn on one canvas instead of as DOM markers.
 * `?markerLimit=N` in the page's address overrides it (0: always canvas).
 */
const limitParam = new URLSearchParams(location.search).get("markerLimit");
export const MARKER_LIMIT = limitParam !== null && Number.isFinite(Number(limitParam)) ? Number(limitParam) : 600;

export type TrackFilter = (p: TrackProps, lat: number, lon: number) => boolean;

interface TrackState {
  props: TrackProps;
  lat: number;
  lon: number;
  timeMs: number;
  trail: [number, number][];
  marker?: L.Marker;
  trailLine?: L.Polyline;
  iconKey?: string;
  version: number;
  drawnVersion?: number;
  zIndex?: number;
}

export class TrackLayer {
  private readonly tracks = new Map<string, TrackState>();
  private readonly markers: L.LayerGroup;
  private readonly trails: L.LayerGroup;
  private readonly trailRenderer: L.Renderer;
  private readonly dense = new DenseCanvas();
  private readonly labelMeasure = new LabelMeasure();
  private filter: TrackFilter = () => true;
  private selectedId: string | null = null;
  private renderQueued = false;
  latestMs = 0;
  onSelect: (p: TrackProps) => void = () => {};
  onCounts: (total: number, shown: number) => void = () => {};

  constructor(private readonly map: L.Map) {
    map.createPane("trails").style.zIndex = "450";
    this.trailRenderer = L.canvas({ pane: "trails", padding: 0.2 });
    this.trails = L.layerGroup().addTo(map);
    this.markers = L.layerGroup().addTo(map);
    this.dense.addTo(map);
    this.dense.onSelect = (p) => this.onSelect(p);
    this.dense.describe = tooltip;
    map.on("moveend zoomend", () => this.scheduleRender());
  }

  get size(): number {
    return this.tracks.size;
  }

  get(trackId: string): TrackProps | undefined {
    return this.tracks.get(trackId)?.props;
  }

  position(trackId: string): [number, number] | undefined {
    const s = this.tracks.get(trackId);
    return s ? [s.lat, s.lon] : undefined;
  }

  /** Tracks whose name contains `text` or whose MMSI starts with it. */
  search(text: string): TrackProps[] {
    const upper = text.toUpperCase();
    const out: TrackProps[] = [];
    for (const s of this.tracks.values()) {
      const p = s.props;
      if (String(p.name ?? "").toUpperCase().includes(upper) || String(p.mmsi ?? "").startsWith(text)) out.push(p);
    }
    return out;
  }

  findByMmsi(mmsi: number): TrackProps | undefined {
    for (const s of this.tracks.values()) if (s.props.mmsi === mmsi) return s.props;
    return undefined;
  }

  /** Bounds of the tracks, ignoring the farthest 2 % so that one stray position does not zoom out the world. */
  bounds(): L.LatLngBounds | undefined {
    const lats = [...this.tracks.values()].map((s) => s.lat).sort((a, b) => a - b);
    const lons = [...this.tracks.values()].map((s) => s.lon).sort((a, b) => a - b);
    if (!lats.length) return undefined;
    const k = Math.floor(lats.length * 0.01);
    const hi = lats.length - 1 - k;
    return L.latLngBounds([lats[k], lons[k]], [lats[hi], lons[hi]]);
  }

  setFilter(filter: TrackFilter): void {
    this.filter = filter;
    this.scheduleRender();
  }

  select(trackId: string | null): void {
    this.selectedId = trackId;
    this.scheduleRender();
  }

  /** Apply one live update (a GeoJSON Point feature); tracks leave the picture by `expire`. */
  upsert(feature: TrackFeature): void {
    const p = feature.properties;
    const id = p.track_id;
    const coords = feature.geometry?.coordinates;
    if (!coords || !Number.isFinite(coords[0]) || !Number.isFinite(coords[1])) return;
    const [lon, lat] = coords;
    const timeMs = p.time ? Date.parse(p.time) : NaN;
    const state = this.tracks.get(String(id));
    if (state) {
      if (Number.isFinite(timeMs) && Number.isFinite(state.timeMs) && timeMs < state.timeMs) return;
      const last = state.trail[state.trail.length - 1];
      if (!last || last[0] !== lat || last[1] !== lon) {
        state.trail.push([lat, lon]);
        if (state.trail.length > TRAIL_POINTS) state.trail.shift();
      }
      Object.assign(state, { props: { ...state.props, ...p, track_id: String(id) }, lat, lon, timeMs });
      state.version += 1;
    } else {
      const props = { ...p, track_id: String(id) };
      this.tracks.set(String(id), { props, lat, lon, timeMs, trail: [[lat, lon]], version: 0 });
    }
    if (Number.isFinite(timeMs) && timeMs > this.latestMs) this.latestMs = timeMs;
    this.scheduleRender();
  }

  /** Drop tracks not updated for `maxAgeMs` of data time (the node's live picture does the same). */
  expire(maxAgeMs: number): number {
    let removed = 0;
    for (const [id, s] of this.tracks) {
      if (this.latestMs - s.timeMs > maxAgeMs) {
        this.remove(id);
        removed += 1;
      }
    }
    return removed;
  }

  remove(trackId: string): void {
    const s = this.tracks.get(trackId);
    if (!s) return;
    s.marker?.remove();
    s.trailLine?.remove();
    this.tracks.delete(trackId);
    this.scheduleRender();
  }

  /** Replace the whole picture (replay). `trails` maps track ids to older positions, oldest first. */
  replaceAll(features: TrackFeature[], trails: Map<string, [number, number][]> = new Map()): void {
    this.clear();
    this.latestMs = 0;
    for (const f of features) this.upsert(f);
    for (const [id, points] of trails) {
      const s = this.tracks.get(id);
      if (s) {
        s.trail = [...points, [s.lat, s.lon] as [number, number]].slice(-TRAIL_POINTS);
        s.version += 1;
      }
    }
    this.scheduleRender();
  }

  clear(): void {
    this.dense.draw([], null);
    this.markers.clearLayers();
    this.trails.clearLayers();
    this.tracks.clear();
  }

  scheduleRender(): void {
    if (this.renderQueued) return;
    this.renderQueued = true;
    requestAnimationFrame(() => {
      this.renderQueued = false;
      this.render();
    });
  }

  private render(): void {
    const bounds = this.map.getBounds().pad(0.1);
    const visible: [string, TrackState][] = [];
    for (const [id, s] of this.tracks) {
      if (bounds.contains([s.lat, s.lon]) && this.filter(s.props, s.lat, s.lon)) visible.push([id, s]);
      else this.undraw(s);
    }
    const dense = visible.length > MARKER_LIMIT;
    document.body.dataset.trackMode = dense ? "dense" : "markers";
    if (dense) {
      const items: DenseItem[] = [];
      for (const [id, s] of visible) {
        this.undraw(s);
        items.push({ id, lat: s.lat, lon: s.lon, props: s.props, stale: this.latestMs - s.timeMs > STALE_MS });
      }
      this.dense.draw(items, this.selectedId);
    } else {
      if (this.dense.count) this.dense.draw([], null);
      for (const [id, s] of visible) this.drawTrack(id, s);
      this.declutter(visible);
    }
    this.onCounts(this.tracks.size, visible.length);
  }

  /**
   * Places each label on the first free side of its symbol (right, left, above, below: class `label-left`,
   * `label-above`, `label-below`, none on the right) and hides those with no free side: a side is not free
   * where the label would overlap one already placed (threats and alerts first, then moving, then moored
   * vessels), cover another vessel's symbol or run past the map's edge (a vessel drawn just past the edge
   * shows none); the selected and alerted vessels' labels always show. The page's `data-label-sides="right"` (on <html>)
   * keeps every label on the right, as before sides were tried.
   * The map's `data-labels` says "shown/total", `data-label-checks` how many box tests the placement made
   * (with `data-label-boxes`, labels + symbols: the count grows with them, not with their square), and
   * `data-label-ms` how long it took.
   */
  private declutter(visible: [string, TrackState][]): void {
    const container = this.map.getContainer();
    if (!container.classList.contains("labels")) return;
    const start = performance.now();
    const labels: HTMLElement[] = [];
    const items: LabelCandidate[] = [];
    const symbols: SymbolBox[] = [];
    let half = 11; // the 22 px symbol, scaled on the wall screen (--sym-scale, read with the labels' font)
    for (const [id, s] of visible) {
      if (!s.marker) continue;
      const at = this.map.latLngToLayerPoint([s.lat, s.lon]);
      const label = s.marker.getElement()?.querySelector<HTMLElement>(".track-label");
      if (label) {
        if (!labels.length) {
          this.labelMeasure.use(label);
          half = 11 * this.labelMeasure.symbolScale;
        }
        const p = s.props;
        const alerted = hasOpenAlert(id, p.mmsi);
        const sog = typeof p.sog_kn === "number" ? p.sog_kn : 0;
        const threat = alerted || trackClass(p) === "dark" || (sog >= GO_FAST_KN && shipCategoryKey(p.ship_type) !== "highspeed");
        // on the right the label sits 24 px (a dark target's 30 px) right of the 22 px icon's left edge, 3 px
        // below its top; on the other sides 2 px (a dark target's 8 px, past its rings) off the scaled symbol
        // (styles.css: .track-label.label-left, -above, -below)
        const dark = label.classList.contains("dark");
        items.push({
          x: at.x + (dark ? 19 : 13), y: at.y - 8, w: this.labelMeasure.width(label.textContent ?? ""),
          h: this.labelMeasure.height, rank: threat ? 0 : sog >= 0.5 ? 1 : 2, always: alerted || id === this.selectedId,
          around: { x: at.x, y: at.y, reach: 0 }, // reach: set below, once the symbols' scale is known
        });
        labels.push(label);
      }
      symbols.push({ x: at.x, y: at.y, w: 0, h: 0, owner: label ? items.length - 1 : -1 }); // sized below
    }
    for (const sym of symbols) {
      sym.x -= half;
      sym.y -= half;
      sym.w = sym.h = 2 * half;
    }
    labels.forEach((label, i) => {
      const around = items[i].around;
      if (around) around.reach = half + (label.classList.contains("dark") ? 8 : 2);
    });
    const stats: PlaceStats = { checks: 0 };
    const rightOnly = document.documentElement.dataset.labelSides === "right";
    const corner = this.map.containerPointToLayerPoint([0, 0]);
    const size = this.map.getSize();
    const view = { x: corner.x, y: corner.y, w: size.x, h: size.y };
    const sides = placeLabels(items, symbols, stats, rightOnly ? ["right"] : LABEL_SIDES, view);
    let count = 0;
    labels.forEach((label, i) => {
      const side = sides[i];
      label.classList.toggle("label-hidden", side === null);
      label.classList.toggle("label-always", items[i].always);
      label.classList.toggle("label-left", side === "left");
      label.classList.toggle("label-above", side === "above");
      label.classList.toggle("label-below", side === "below");
      if (side !== null) count++;
    });
    container.dataset.labels = `${count}/${labels.length}`;
    container.dataset.labelChecks = String(stats.checks);
    container.dataset.labelBoxes = String(items.length + symbols.length);
    container.dataset.labelMs = (performance.now() - start).toFixed(1);
  }

  private undraw(s: TrackState): void {
    if (s.marker) {
      s.marker.remove();
      s.marker = undefined;
    }
    if (s.trailLine) {
      s.trailLine.remove();
      s.trailLine = undefined;
    }
  }

  private drawTrack(id: string, s: TrackState): void {
    const selected = id === this.selectedId;
    const stale = this.latestMs - s.timeMs > STALE_MS;
    const svg = symbolSvg(s.props, selected);
    const key = `${svg}|${stale}|${s.props.name ?? ""}`;
    if (!s.marker) {
      s.marker = L.marker([s.lat, s.lon], { icon: this.icon(id, s.props, svg, stale), keyboard: false, pmIgnore: true });
      s.marker.on("click", () => this.onSelect(s.props));
      s.marker.bindTooltip(() => tooltip(s.props), { direction: "top", offset: [0, -10], className: "track-tip" });
      s.marker.addTo(this.markers);
      s.iconKey = key;
      s.drawnVersion = s.version;
      s.zIndex = 0;
    } else {
      if (s.drawnVersion !== s.version) s.marker.setLatLng([s.lat, s.lon]);
      if (s.iconKey !== key) {
        s.marker.setIcon(this.icon(id, s.props, svg, stale));
        s.iconKey = key;
      }
    }
    const zIndex = selected ? 1000 : trackClass(s.props) === "dark" ? 500 : 0;
    if (s.zIndex !== zIndex) s.marker.setZIndexOffset(zIndex);
    s.zIndex = zIndex;
    const weight = selected ? 2.5 : 1.5;
    if (s.trail.length > 1) {
      if (!s.trailLine) {
        s.trailLine = L.polyline(s.trail, {
          color: trailColour(s.props), weight, opacity: 0.6, renderer: this.trailRenderer, interactive: false, pmIgnore: true,
        }).addTo(this.trails);
      } else if (s.drawnVersion !== s.version || s.trailLine.options.weight !== weight) {
        s.trailLine.setLatLngs(s.trail);
        s.trailLine.setStyle({ color: trailColour(s.props), weight });
      }
    }
    s.drawnVersion = s.version;
  }

  private icon(id: string, p: TrackProps, svg: string, stale: boolean): L.DivIcon {
    const cls = trackClass(p);
    return L.divIcon({
      className: `track-icon${stale ? " stale" : ""}`,
      iconSize: [22, 22],
      iconAnchor: [11, 11],
      html: `<div data-testid="track-marker" data-track-id="${esc(id)}" data-class="${cls}"`
        + ` data-mmsi="${esc(p.mmsi ?? "")}">${svg}</div>`
        + (p.name ? `<span class="track-label">${esc(String(p.name).trim())}</span>`
          // a dark target has no name: its track id, as its alerts say ("track T000055")
          : cls === "dark" ? `<span class="track-label dark">${esc(id)}</span>` : ""),
    });
  }
}

function trailColour(p: TrackProps): string {
  const cls = trackClass(p);
  if (cls === "dark") return "#ff3b3b";
  if (cls === "radar") return "#f5a623";
  if (cls === "partner") return "#2ee6c8";
  return shipCategory(p.ship_type).colour;
}

export function trackTitle(p: TrackProps): string {
  if (p.name) return String(p.name);
  if (p.mmsi) return `MMSI ${p.mmsi}`;
  return t("who.track", { id: p.track_id });
}

function tooltip(p: TrackProps): string {
  const cls = trackClass(p);
  // i18n-keys: track_class.ais track_class.radar track_class.dark track_class.partner
  const course = typeof p.cog_deg === "number" && Number.isFinite(p.cog_deg) ? `${Math.round(p.cog_deg)}°` : "—";
  return `<b>${esc(trackTitle(p))}</b><br>${esc(t(`track_class.${cls}`))} · ${esc(shipLabel(shipCategory(p.ship_type).key))}<br>`
    + `${esc(fmtQuantity(p.sog_kn, "kn"))} · ${course}`;
}
