// Dense mode: when many tracks are in view, draw them all on one canvas (DOM markers do not scale past
// about a thousand in a software-rendered browser). Clicks pick the nearest symbol within a few pixels.
import * as L from "leaflet";
import { headingOf, shipCategory, trackClass } from "./symbols";
import type { TrackProps } from "./types";

export interface DenseItem {
  id: string;
  lat: number;
  lon: number;
  props: TrackProps;
  stale: boolean;
}

const PICK_RADIUS_PX = 8;
const BOAT = new Path2D("M0 -7 L4.5 6 L0 3.5 L-4.5 6 Z");
const DIAMOND = new Path2D("M0 -5 L5 0 L0 5 L-5 0 Z");

export class DenseCanvas extends L.Layer {
  private canvas: HTMLCanvasElement | null = null;
  private items: DenseItem[] = [];
  private xs = new Float32Array(0);
  private ys = new Float32Array(0);
  private selectedId: string | null = null;
  private readonly tip = L.tooltip({ direction: "top", offset: [0, -8], className: "track-tip" });
  private hovered = -1;
  onSelect: (p: TrackProps) => void = () => {};
  describe: (p: TrackProps) => string = (p) => String(p.track_id);

  onAdd(map: L.Map): this {
    const pane = map.getPane("dense") ?? map.createPane("dense");
    pane.style.zIndex = "610";
    pane.style.pointerEvents = "none";
    this.canvas = L.DomUtil.create("canvas", "dense-canvas leaflet-zoom-hide", pane);
    this.canvas.dataset.testid = "track-canvas";
    map.on("moveend zoomend resize", this.redraw, this);
    map.on("click", this.onClick, this);
    map.on("mousemove", this.onMove, this);
    this.redraw();
    return this;
  }

  onRemove(map: L.Map): this {
    map.off("moveend zoomend resize", this.redraw, this);
    map.off("click", this.onClick, this);
    map.off("mousemove", this.onMove, this);
    this.canvas?.remove();
    this.canvas = null;
    return this;
  }

  get count(): number {
    return this.items.length;
  }

  draw(items: DenseItem[], selectedId: string | null): void {
    const hoveredId = this.hovered >= 0 ? this.items[this.hovered]?.id : undefined;
    this.items = items;
    this.hovered = hoveredId === undefined ? -1 : items.findIndex((it) => it.id === hoveredId);
    if (this.hovered >= 0) {
      const it = items[this.hovered];
      this.tip.setLatLng([it.lat, it.lon]).setContent(this.describe(it.props));
    } else {
      this.tip.remove();
    }
    this.selectedId = selectedId;
    this.redraw();
  }

  private redraw(): void {
    const map = this._map as L.Map | undefined;
    const canvas = this.canvas;
    if (!map || !canvas) return;
    const size = map.getSize();
    const ratio = window.devicePixelRatio || 1;
    if (canvas.width !== size.x * ratio || canvas.height !== size.y * ratio) {
      canvas.width = size.x * ratio;
      canvas.height = size.y * ratio;
      canvas.style.width = `${size.x}px`;
      canvas.style.height = `${size.y}px`;
    }
    L.DomUtil.setPosition(canvas, map.containerPointToLayerPoint([0, 0]));
    canvas.dataset.count = String(this.items.length);
    const ctx = canvas.getContext("2d");
    if (!ctx) return;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, size.x, size.y);
    const n = this.items.length;
    if (this.xs.length < n) {
      this.xs = new Float32Array(n * 2);
      this.ys = new Float32Array(n * 2);
    }
    ctx.lineWidth = 1;
    ctx.strokeStyle = "#0b1320";
    for (let i = 0; i < n; i++) {
      const it = this.items[i];
      const pt = map.latLngToContainerPoint([it.lat, it.lon]);
      this.xs[i] = pt.x;
      this.ys[i] = pt.y;
      drawSymbol(ctx, it, pt.x, pt.y);
    }
    const selected = this.selectedId ? this.items.findIndex((it) => it.id === this.selectedId) : -1;
    if (selected >= 0) {
      ctx.beginPath();
      ctx.arc(this.xs[selected], this.ys[selected], 10, 0, 2 * Math.PI);
      ctx.strokeStyle = "#ffe14d";
      ctx.lineWidth = 2;
      ctx.stroke();
    }
  }

  private nearest(point: L.Point): number {
    let best = -1;
    let bestD = PICK_RADIUS_PX * PICK_RADIUS_PX;
    for (let i = 0; i < this.items.length; i++) {
      const dx = this.xs[i] - point.x;
      const dy = this.ys[i] - point.y;
      const d = dx * dx + dy * dy;
      if (d <= bestD) {
        bestD = d;
        best = i;
      }
    }
    return best;
  }

  private onClick(e: L.LeafletMouseEvent): void {
    if (!this.items.length || document.body.dataset.picking === "1" || document.body.dataset.drawing) return;
    const i = this.nearest(e.containerPoint);
    if (i >= 0) this.onSelect(this.items[i].props);
  }

  private onMove(e: L.LeafletMouseEvent): void {
    const map = this._map as L.Map | undefined;
    if (!map) return;
    const i = this.items.length ? this.nearest(e.containerPoint) : -1;
    map.getContainer().style.cursor = i >= 0 ? "pointer" : "";
    if (i === this.hovered) return;
    this.hovered = i;
    if (i < 0) {
      this.tip.remove();
      return;
    }
    const it = this.items[i];
    this.tip.setLatLng([it.lat, it.lon]).setContent(this.describe(it.props));
    if (!map.hasLayer(this.tip)) this.tip.addTo(map);
  }
}

function drawSymbol(ctx: CanvasRenderingContext2D, it: DenseItem, x: number, y: number): void {
  const p = it.props;
  const cls = trackClass(p);
  const heading = headingOf(p);
  const moving = typeof p.sog_kn === "number" ? p.sog_kn >= 0.5 : heading !== null;
  ctx.globalAlpha = it.stale ? 0.4 : 1;
  ctx.save();
  ctx.translate(x, y);
  if (cls === "dark" || cls === "radar") {
    ctx.fillStyle = cls === "dark" ? "#ff3b3b" : "#f5a623";
    ctx.fill(DIAMOND);
    ctx.stroke(DIAMOND);
  } else {
    ctx.fillStyle = shipCategory(p.ship_type).colour;
    if (cls === "partner") ctx.strokeStyle = "#2ee6c8";
    if (moving && heading !== null) {
      ctx.rotate((heading * Math.PI) / 180);
      ctx.fill(BOAT);
      ctx.stroke(BOAT);
    } else {
      ctx.beginPath();
      ctx.arc(0, 0, 3, 0, 2 * Math.PI);
      ctx.fill();
      ctx.stroke();
    }
    if (cls === "partner") ctx.strokeStyle = "#0b1320";
  }
  ctx.restore();
  ctx.globalAlpha = 1;
}
