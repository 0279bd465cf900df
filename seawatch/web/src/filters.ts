// Filter controls: ship type, source (track class), minimum speed and zone.
import { SHIP_CATEGORIES, shipCategoryKey, trackClass } from "./symbols";
import type { TrackFilter } from "./tracks";
import type { ZoneFeature } from "./types";
import { $, pointInGeometry } from "./util";

export class Filters {
  private readonly type = $("filter-type") as HTMLSelectElement;
  private readonly speed = $("filter-speed") as HTMLInputElement;
  private readonly zone = $("filter-zone") as HTMLSelectElement;
  private readonly sources = $("filter-sources");
  private zones = new Map<string, ZoneFeature>();
  onChange: (filter: TrackFilter) => void = () => {};

  constructor() {
    for (const c of SHIP_CATEGORIES) this.type.add(new Option(c.label, c.key));
    for (const el of [this.type, this.speed, this.zone, this.sources]) {
      el.addEventListener("change", () => this.onChange(this.predicate()));
      el.addEventListener("input", () => this.onChange(this.predicate()));
    }
  }

  setZones(zones: Map<string, ZoneFeature>): void {
    this.zones = zones;
    const current = this.zone.value;
    this.zone.replaceChildren(new Option("anywhere", ""));
    for (const [id, z] of zones) this.zone.add(new Option(String(z.properties?.name ?? id), id));
    this.zone.value = zones.has(current) ? current : "";
    this.onChange(this.predicate());
  }

  predicate(): TrackFilter {
    const type = this.type.value;
    const minSpeed = Number(this.speed.value) || 0;
    const classes = new Set(
      [...this.sources.querySelectorAll<HTMLInputElement>("input[type=checkbox]")].filter((c) => c.checked).map((c) => c.value),
    );
    const zone = this.zone.value ? this.zones.get(this.zone.value) : undefined;
    return (p, lat, lon) => {
      if (!classes.has(trackClass(p))) return false;
      if (type && shipCategoryKey(p.ship_type) !== type) return false;
      if (minSpeed > 0 && !(typeof p.sog_kn === "number" && p.sog_kn >= minSpeed)) return false;
      if (zone && !pointInGeometry(lon, lat, zone.geometry as Parameters<typeof pointInGeometry>[2])) return false;
      return true;
    };
  }
}
