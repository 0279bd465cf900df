// Filter controls: ship type, source (track class), minimum speed and zone.
import { onLanguageChange, t } from "./i18n";
import { SHIP_CATEGORIES, shipCategoryKey, shipLabel, trackClass } from "./symbols";
import type { TrackFilter } from "./tracks";
import type { ZoneFeature } from "./types";
import { $, pointInGeometry } from "./util";

export interface FilterState {
  ship_type: string;
  sources: string[];
  min_speed_kn: number;
  zone: string;
}

export class Filters {
  private readonly type = $("filter-type") as HTMLSelectElement;
  private readonly speed = $("filter-speed") as HTMLInputElement;
  private readonly zone = $("filter-zone") as HTMLSelectElement;
  private readonly sources = $("filter-sources");
  private zones = new Map<string, ZoneFeature>();
  /** A saved zone filter waiting for the zones to load. */
  private wantedZone = "";
  onChange: (filter: TrackFilter) => void = () => {};
  /** The user changed a filter (not a restore): the page saves the state in the profile. */
  onEdit: (state: FilterState) => void = () => {};

  constructor() {
    for (const c of SHIP_CATEGORIES) this.type.add(new Option(shipLabel(c.key), c.key));
    onLanguageChange(() => {
      for (const option of this.type.options) if (option.value) option.text = shipLabel(option.value);
      const anywhere = this.zone.options[0];
      if (anywhere?.value === "") anywhere.text = t("filters.anywhere");
    });
    for (const el of [this.type, this.speed, this.zone, this.sources]) {
      el.addEventListener("change", () => this.edited());
      el.addEventListener("input", () => this.edited());
    }
  }

  setZones(zones: Map<string, ZoneFeature>): void {
    this.zones = zones;
    const current = this.zone.value;
    this.zone.replaceChildren(new Option(t("filters.anywhere"), ""));
    for (const [id, z] of zones) this.zone.add(new Option(String(z.properties?.name ?? id), id));
    const wanted = this.wantedZone || current;
    this.zone.value = zones.has(wanted) ? wanted : "";
    if (zones.has(wanted)) this.wantedZone = "";
    this.onChange(this.predicate());
  }

  private edited(): void {
    this.wantedZone = "";
    this.onChange(this.predicate());
    this.onEdit(this.state());
  }

  /** What is set, as kept in the profile (`filters`). */
  state(): FilterState {
    const sources = [...this.sources.querySelectorAll<HTMLInputElement>("input[type=checkbox]")];
    return {
      ship_type: this.type.value,
      sources: sources.filter((c) => c.checked).map((c) => c.value),
      min_speed_kn: Number(this.speed.value) || 0,
      zone: this.zone.value || this.wantedZone,
    };
  }

  /** Set the filters from a saved state (unknown values are left at their defaults). */
  restore(saved: Partial<FilterState> | null | undefined): void {
    if (!saved || typeof saved !== "object") return;
    if (typeof saved.ship_type === "string" && [...this.type.options].some((o) => o.value === saved.ship_type)) {
      this.type.value = saved.ship_type;
    }
    if (Array.isArray(saved.sources)) {
      for (const c of this.sources.querySelectorAll<HTMLInputElement>("input[type=checkbox]")) {
        c.checked = saved.sources.includes(c.value);
      }
    }
    if (typeof saved.min_speed_kn === "number" && saved.min_speed_kn >= 0) this.speed.value = String(saved.min_speed_kn);
    if (typeof saved.zone === "string" && saved.zone) {
      this.wantedZone = saved.zone;
      if (this.zones.has(saved.zone)) this.zone.value = saved.zone;
    }
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
      if (zone && !pointInGeometry(lon, lat, zone.geometry)) return false;
      return true;
    };
  }
}
