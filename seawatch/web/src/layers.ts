// Reference layers an operations centre keeps on: the bundled territorial seas the detectors watch (and
// that alerts name), the EEZ / contiguous-zone limit lines (NOAA: Puerto Rico, USVI, Gulf; Natural Earth's
// indicative EEZ boundaries between the other Caribbean states) and the
// coverage of the node's radar sites. Toggled in the map's layer control, explained in the legend.
import { credit, NATURAL_EARTH_CREDIT, NOAA_CREDIT, OSM_CREDIT } from "./attribution";
import * as L from "leaflet";
import { api } from "./api";
import { fmtQuantity, onLanguageChange, t } from "./i18n";
import { esc } from "./util";
import { kindColour } from "./zone-kinds";

const LIMIT_STYLE: Record<"eez" | "contiguous_zone", L.PathOptions> = {
  eez: { color: "#b4a7d6", weight: 1.2, opacity: 0.7, dashArray: "8 6" },
  contiguous_zone: { color: "#b4a7d6", weight: 1, opacity: 0.5, dashArray: "2 5" },
};
const COVERAGE_COLOUR = "#9fb7d0";

/** Legend rows for the reference lines (a short stroke drawn as the map draws it). */
export function referenceLegendHtml(): string {
  const stroke = (o: L.PathOptions, label: string) =>
    `<div class="legend-row"><svg width="22" height="10"><line x1="0" y1="5" x2="22" y2="5" stroke="${o.color}"`
    + ` stroke-width="${o.weight}" stroke-opacity="${o.opacity}" stroke-dasharray="${o.dashArray ?? ""}"/></svg>`
    + `<span>${label}</span></div>`;
  const nm = (n: number) => fmtQuantity(n, "nm", 0);
  return `<div class="legend-head">${esc(t("legend.reference"))}</div>`
    + stroke(LIMIT_STYLE.eez, esc(t("legend.eez", { distance: nm(200) })))
    + stroke(LIMIT_STYLE.contiguous_zone, esc(t("legend.contiguous", { distance: nm(24) })))
    + stroke({ color: COVERAGE_COLOUR, weight: 1, opacity: 0.8 }, esc(t("legend.coverage")));
}

/** The reference overlays by their profile name (`map.layers` keeps those switched off). */
export type OverlayName = "territorial" | "limits" | "coverage";

/**
 * Adds the reference layers and the layer control. `hidden` names the overlays to start switched off (the
 * user's profile); `onToggle` hears each switch, with the names now off. The control's names follow the
 * page's language.
 */
export async function addReferenceLayers(
  map: L.Map, hidden: readonly string[] = [], onToggle: (hidden: OverlayName[]) => void = () => {},
): Promise<void> {
  const control = L.control.layers(undefined, undefined, { position: "topright", collapsed: true }).addTo(map);
  const toggle = control.getContainer()?.querySelector<HTMLElement>(".leaflet-control-layers-toggle");
  const title = () => toggle && (toggle.title = t("map.layers"), toggle.setAttribute("aria-label", t("map.layers")));
  title();
  onLanguageChange(title);
  const [zones, coverage, limits] = await Promise.all([
    api.get("/api/zones/bundled").catch(() => null),
    api.get("/api/layers/coverage").catch(() => null),
    api.get("/api/layers/maritime-limits").catch(() => null),
  ]);
  const overlays = new Map<OverlayName, [L.Layer, () => string]>();
  const add = (name: OverlayName, layer: L.Layer, label: () => string) => {
    if (!hidden.includes(name)) layer.addTo(map);
    overlays.set(name, [layer, label]);
    control.addOverlay(layer, label());
  };
  if (zones?.features?.length) {
    const seas = L.geoJSON(zones.features, {
      interactive: false,
      pmIgnore: true,
      style: (f) => ({ color: kindColour(f?.properties?.kind), weight: 1, opacity: 0.55, fill: false, dashArray: "2 4" }),
    });
    add("territorial", seas, () => t("layers.territorial"));
    if (zones.attribution) credit(map, OSM_CREDIT);
  }
  if (limits?.features?.length) {
    const lines = L.geoJSON(limits.features, {
      interactive: false,
      pmIgnore: true,
      style: (f) => LIMIT_STYLE[f?.properties?.kind === "eez" ? "eez" : "contiguous_zone"],
    });
    add("limits", lines, () => t("layers.limits"));
    credit(map, NOAA_CREDIT);
    credit(map, NATURAL_EARTH_CREDIT);
  }
  const sites = coverage?.sites ?? [];
  const group = L.layerGroup(sites.map((s) => L.circle([s.lat, s.lon], {
    radius: s.range_m, color: COVERAGE_COLOUR, weight: 1, opacity: 0.6, fillOpacity: 0.04, interactive: false, pmIgnore: true,
  } as L.CircleMarkerOptions)));
  for (const s of sites) {
    L.circleMarker([s.lat, s.lon], { radius: 3, color: COVERAGE_COLOUR, fillOpacity: 1, pmIgnore: true } as L.CircleMarkerOptions)
      .bindTooltip(`${s.kind} ${s.id}`, { className: "zone-tip" }).addTo(group);
  }
  add("coverage", group, () => (sites.length ? t("layers.coverage", { n: sites.length }) : t("layers.coverage_none")));
  const report = () => onToggle([...overlays].filter(([, [layer]]) => !map.hasLayer(layer)).map(([name]) => name));
  map.on("overlayadd overlayremove", report);
  onLanguageChange(() => {
    for (const [layer, label] of overlays.values()) {
      control.removeLayer(layer);
      control.addOverlay(layer, label());
    }
  });
  document.body.dataset.layers = "ready";
}
