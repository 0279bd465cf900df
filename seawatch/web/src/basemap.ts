// Offline base map: Natural Earth countries from the world-atlas TopoJSON, served by the node itself.
import * as L from "leaflet";
import { feature, mesh } from "topojson-client";
import type { Topology, GeometryCollection } from "topojson-specification";

const LAND_STYLE: L.PathOptions = { stroke: false, fillColor: "#1d2a38", fillOpacity: 1, interactive: false };
const BORDER_STYLE: L.PathOptions = { color: "#4b6178", weight: 0.8, opacity: 0.9, interactive: false };
const COAST_STYLE: L.PathOptions = { color: "#34495e", weight: 1, opacity: 1, interactive: false };

async function loadTopology(name: string): Promise<Topology> {
  const response = await fetch(`basemap/${name}`);
  if (!response.ok) throw new Error(`base map ${name}: HTTP ${response.status}`);
  return (await response.json()) as Topology;
}

function layersOf(topology: Topology, renderer: L.Renderer): L.LayerGroup {
  const countries = topology.objects.countries as GeometryCollection;
  const land = feature(topology, countries);
  const borders = mesh(topology, countries, (a, b) => a !== b);
  const coast = mesh(topology, countries, (a, b) => a === b);
  return L.layerGroup([
    L.geoJSON(land, { style: LAND_STYLE, renderer } as L.GeoJSONOptions),
    L.geoJSON(coast, { style: COAST_STYLE, renderer } as L.GeoJSONOptions),
    L.geoJSON(borders, { style: BORDER_STYLE, renderer } as L.GeoJSONOptions),
  ]);
}

const DETAIL_ZOOM = 6;

/**
 * Adds the 1:50 m base map at once; the 1:10 m one (3.6 MB) is fetched the first time the map is zoomed in
 * to DETAIL_ZOOM or closer, and then shown at those zooms only. `document.body.dataset.basemap` says which
 * one is on screen (tests wait on it).
 */
export async function addBaseMap(map: L.Map): Promise<void> {
  map.createPane("basemap");
  const pane = map.getPane("basemap") as HTMLElement;
  pane.style.zIndex = "200";
  const renderer = L.canvas({ pane: "basemap", padding: 0.3 });
  const coarse = layersOf(await loadTopology("countries-50m.json"), renderer);
  let detailed: L.LayerGroup | null = null;
  let loading: Promise<void> | null = null;
  const update = (): void => {
    const wantDetail = map.getZoom() >= DETAIL_ZOOM;
    if (wantDetail && !detailed) {
      loading ??= loadTopology("countries-10m.json")
        .then((topology) => {
          detailed = layersOf(topology, renderer);
          update();
        })
        .catch((err) => console.warn("detailed base map unavailable", err));
      if (!map.hasLayer(coarse)) coarse.addTo(map);
      document.body.dataset.basemap = "50m";
      return;
    }
    const show = wantDetail && detailed ? detailed : coarse;
    const hide = show === coarse ? detailed : coarse;
    if (hide && map.hasLayer(hide)) hide.remove();
    if (!map.hasLayer(show)) show.addTo(map);
    document.body.dataset.basemap = show === coarse ? "50m" : "10m";
  };
  map.on("zoomend", update);
  update();
}
