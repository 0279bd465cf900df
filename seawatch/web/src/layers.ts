// Reference layers an operations centre keeps on: the bundled territorial seas the detectors watch (and
// that alerts name), and the coverage of the node's radar sites. Toggled in the map's layer control.
import * as L from "leaflet";
import { api } from "./api";
import { kindColour } from "./zone-kinds";

export async function addReferenceLayers(map: L.Map): Promise<void> {
  const control = L.control.layers(undefined, undefined, { position: "topright", collapsed: true }).addTo(map);
  const [zones, coverage] = await Promise.all([
    api.get("/api/zones/bundled").catch(() => null),
    api.get("/api/layers/coverage").catch(() => null),
  ]);
  if (zones?.features?.length) {
    const seas = L.geoJSON(zones.features as unknown as GeoJSON.Feature[], {
      interactive: false,
      pmIgnore: true,
      style: (f) => ({ color: kindColour(f?.properties?.kind), weight: 1, opacity: 0.55, fill: false, dashArray: "2 4" }),
    } as L.GeoJSONOptions).addTo(map);
    control.addOverlay(seas, "Territorial seas (watched)");
    if (zones.attribution) map.attributionControl.addAttribution("Territorial seas © OpenStreetMap (ODbL)");
  }
  const sites = coverage?.sites ?? [];
  const group = L.layerGroup(sites.map((s) => L.circle([s.lat, s.lon], {
    radius: s.range_m, color: "#9fb7d0", weight: 1, opacity: 0.6, fillOpacity: 0.04, interactive: false, pmIgnore: true,
  } as L.CircleMarkerOptions)));
  for (const s of sites) {
    L.circleMarker([s.lat, s.lon], { radius: 3, color: "#9fb7d0", fillOpacity: 1, pmIgnore: true } as L.CircleMarkerOptions)
      .bindTooltip(`${s.kind} ${s.id}`, { className: "zone-tip" }).addTo(group);
  }
  group.addTo(map);
  control.addOverlay(group, sites.length ? `Radar coverage (${sites.length})` : "Radar coverage (none configured)");
  document.body.dataset.layers = "ready";
}
