// Zones: shown on the map, drawn and edited with Leaflet-Geoman, saved through /api/zones (GeoJSON features).
import * as L from "leaflet";
import "@geoman-io/leaflet-geoman-free";
import { api } from "./api";
import type { ZoneFeature } from "./types";
import { onLanguageChange, t } from "./i18n";
import { problemText } from "./problem-text";
import { $, esc } from "./util";
import { canonicalKind, kindColour, kindLabel, loadZoneKinds } from "./zone-kinds";


export function zoneId(f: ZoneFeature): string {
  return f.id;
}

export class ZoneLayer {
  readonly zones = new Map<string, ZoneFeature>();
  private readonly layers = new Map<string, L.Polygon>();
  private readonly group: L.FeatureGroup;
  private readonly list = $("zone-list") as HTMLUListElement;
  private readonly form = $("zone-form") as HTMLFormElement;
  private pending: L.Polygon | null = null;
  private editing = false;
  private kindsLoaded = false;
  private readonly edited = new Set<string>();
  onChange: (zones: Map<string, ZoneFeature>) => void = () => {};
  onError: (message: string) => void = () => {};

  constructor(private readonly map: L.Map) {
    this.group = L.featureGroup().addTo(map);
    $("zone-draw").onclick = () => this.startDraw();
    $("zone-edit").onclick = () => void this.toggleEdit();
    $("zone-cancel").onclick = () => this.cancelDraw();
    onLanguageChange(() => {
      this.renderList();
      $("zone-edit").textContent = this.editing ? t("zones.save_shapes") : t("zones.edit");
    });
    this.form.onsubmit = (e) => {
      e.preventDefault();
      void this.savePending();
    };
    map.on("pm:create", (e) => {
      const layer = e.layer;
      if (!(layer instanceof L.Polygon)) {
        layer.remove();
        return;
      }
      this.pending = layer;
      this.form.hidden = false;
      document.body.dataset.drawing = "named";
      ($("zone-name") as HTMLInputElement).focus();
    });
  }

  async load(): Promise<void> {
    if (!this.kindsLoaded) {
      await loadZoneKinds();
      this.kindsLoaded = true;
    }
    const { features } = await api.get("/api/zones");
    this.group.clearLayers();
    this.layers.clear();
    this.zones.clear();
    for (const f of features) this.addFeature(f);
    this.renderList();
    this.onChange(this.zones);
  }

  private addFeature(f: ZoneFeature): void {
    const id = zoneId(f);
    if (!id || !f.geometry) return;
    this.zones.set(id, f);
    const kind = canonicalKind(f.properties?.kind);
    const colour = kindColour(kind);
    const layer = L.GeoJSON.geometryToLayer(f, {
      style: () => ({ color: colour, weight: 1.5, fillOpacity: 0.08, dashArray: kind === "custom" ? "6 4" : undefined }),
    }) as L.Polygon;
    layer.setStyle({ color: colour, weight: 1.5, fillOpacity: 0.08, dashArray: kind === "custom" ? "6 4" : undefined });
    layer.bindTooltip(esc(f.properties?.name ?? id), { sticky: true, className: "zone-tip" });
    layer.on("pm:edit", () => this.edited.add(id));
    layer.addTo(this.group);
    this.layers.set(id, layer);
  }

  private renderList(): void {
    this.list.replaceChildren();
    for (const [id, f] of this.zones) {
      const li = document.createElement("li");
      li.className = "zone-item";
      li.dataset.testid = "zone-item";
      li.dataset.zoneId = id;
      li.innerHTML = `<span class="zone-name">${esc(f.properties?.name ?? id)}</span>`
        + `<span class="muted">${esc(kindLabel(f.properties?.kind))}</span>`
        + (document.body.dataset.role === "viewer" || document.body.dataset.role === "operator"
          ? "" : `<button class="small ghost" data-testid="zone-delete">${esc(t("zones.delete"))}</button>`);
      li.querySelector<HTMLElement>(".zone-name")!.onclick = () => {
        const layer = this.layers.get(id);
        if (layer) this.map.fitBounds(layer.getBounds(), { maxZoom: 11 });
      };
      const del = li.querySelector<HTMLButtonElement>("button");
      if (del) del.onclick = () => {
        if (del.dataset.armed !== "1") {
          del.dataset.armed = "1";
          del.textContent = t("zones.confirm");
          return;
        }
        void this.remove(id);
      };
      this.list.append(li);
    }
  }

  startDraw(): void {
    this.cancelDraw();
    document.body.dataset.drawing = "drawing";
    this.map.pm.enableDraw("Polygon", {
      snappable: false,
      allowSelfIntersection: false,
      templineStyle: { color: "#ffe14d" },
      hintlineStyle: { color: "#ffe14d", dashArray: [5, 5] },
      pathOptions: { color: "#ffe14d", weight: 2, fillOpacity: 0.1 },
    });
  }

  cancelDraw(): void {
    this.map.pm.disableDraw();
    this.pending?.remove();
    this.pending = null;
    this.form.hidden = true;
    delete document.body.dataset.drawing;
  }

  private async savePending(): Promise<void> {
    if (!this.pending) return;
    const name = ($("zone-name") as HTMLInputElement).value.trim();
    const kind = ($("zone-kind") as HTMLSelectElement).value;
    const geometry = this.pending.toGeoJSON().geometry;
    try {
      await api.post("/api/zones", { type: "Feature", geometry: { ...geometry }, properties: { name, kind } });
      this.cancelDraw();
      ($("zone-name") as HTMLInputElement).value = "";
      await this.load();
    } catch (err) {
      this.onError(t("zones.not_saved", { reason: problemText(err, (err as Error).message) }));
    }
  }

  /** Edit mode on every zone; leaving it saves the zones whose shape changed. */
  async toggleEdit(): Promise<void> {
    const button = $("zone-edit");
    this.editing = !this.editing;
    button.classList.toggle("active", this.editing);
    button.textContent = this.editing ? t("zones.save_shapes") : t("zones.edit");
    for (const layer of this.layers.values()) {
      if (this.editing) layer.pm.enable({ allowSelfIntersection: false, snappable: false });
      else layer.pm.disable();
    }
    if (this.editing) return;
    const changed = [...this.edited];
    this.edited.clear();
    try {
      for (const id of changed) {
        const f = this.zones.get(id);
        const layer = this.layers.get(id);
        if (!f || !layer) continue;
        const geometry = layer.toGeoJSON().geometry;
        await api.put("/api/zones/{zone_id}", { ...f, geometry: { ...geometry } }, { path: { zone_id: id } });
      }
    } catch (err) {
      this.onError(t("zones.not_saved", { reason: problemText(err, (err as Error).message) }));
    }
    await this.load();
  }

  private async remove(id: string): Promise<void> {
    try {
      await api.del("/api/zones/{zone_id}", { path: { zone_id: id } });
    } catch (err) {
      this.onError(t("zones.not_deleted", { reason: problemText(err, (err as Error).message) }));
    }
    await this.load();
  }
}
