// Offline base map: Natural Earth countries from the world-atlas TopoJSON, served by the node itself; from
// harbour zoom up, OpenStreetMap land from the node's /api/layers/land where the package carries it.
import * as L from "leaflet";
import { feature, mesh } from "topojson-client";
import type { Topology, GeometryCollection } from "topojson-specification";
import { api } from "./api";
import { credit, creditOf } from "./attribution";

// a calm grey-green, ~1.6:1 against the sea (#0e1a2b): the coastline reads at harbour zoom, while the threat
// colours (dark red, go-fast magenta, alert yellow) keep at least 3:1 against land and sea alike
export const LAND_FILL = "#34403a";
const LAND_STYLE: L.PathOptions = { stroke: false, fillColor: LAND_FILL, fillOpacity: 1, interactive: false };
const BORDER_STYLE: L.PathOptions = { color: "#4b6178", weight: 0.8, opacity: 0.9, interactive: false };
const COAST_STYLE: L.PathOptions = { color: "#5a6b66", weight: 1, opacity: 1, interactive: false };
// fine land comes in tiles: a stroke of the fill's colour hides the seams between them
const FINE_STYLE: L.PathOptions = { color: LAND_FILL, weight: 1, opacity: 1, fillColor: LAND_FILL, fillOpacity: 1, interactive: false };

async function loadTopology(name: string): Promise<Topology> {
  const response = await fetch(`basemap/${name}`);
  if (!response.ok) throw new Error(`base map ${name}: HTTP ${response.status}`);
  return (await response.json()) as Topology;
}

/** One Natural Earth base map: `fill` (land and coastline) under `borders`, both in `group`. */
interface BaseLayers {
  group: L.LayerGroup;
  fill: L.LayerGroup;
  borders: L.Layer;
}

function layersOf(topology: Topology, renderer: L.Renderer): BaseLayers {
  const countries = topology.objects.countries as GeometryCollection;
  const land = feature(topology, countries);
  const fill = L.layerGroup([
    L.geoJSON(land, { style: LAND_STYLE, renderer } as L.GeoJSONOptions),
    L.geoJSON(mesh(topology, countries, (a, b) => a === b), { style: COAST_STYLE, renderer } as L.GeoJSONOptions),
  ]);
  const borders = L.geoJSON(mesh(topology, countries, (a, b) => a !== b), { style: BORDER_STYLE, renderer } as L.GeoJSONOptions);
  return { group: L.layerGroup([fill, borders]), fill, borders };
}

const DETAIL_ZOOM = 6;
export const FINE_ZOOM = 12; // a harbour: OpenStreetMap land instead of Natural Earth's
const FINE_MAX_DEG = 2; // the node's limit on one land request (a side)

/** The view padded by up to half its size a side, within the node's limit; null if the view alone exceeds it. */
function landBox(map: L.Map): L.LatLngBounds | null {
  const view = map.getBounds();
  const width = view.getEast() - view.getWest();
  const height = view.getNorth() - view.getSouth();
  if (width > FINE_MAX_DEG || height > FINE_MAX_DEG) return null;
  const pad = Math.max(0, Math.min(0.5, (FINE_MAX_DEG / Math.max(width, height) - 1) / 2 - 0.01));
  const box = view.pad(pad);
  return L.latLngBounds(
    [Math.max(box.getSouth(), -85), Math.max(box.getWest(), -180)],
    [Math.min(box.getNorth(), 85), Math.min(box.getEast(), 180)],
  );
}

/**
 * Adds the 1:50 m base map at once; the 1:10 m one (3.6 MB) is fetched the first time the map is zoomed in
 * to DETAIL_ZOOM or closer, and then shown at those zooms only. From FINE_ZOOM, where the node has fine land
 * for the whole view, that replaces Natural Earth's land (borders stay). `document.body.dataset.basemap`
 * says which Natural Earth map is on screen, `dataset.land` whether the land is "fine" or "coarse" (tests
 * wait on them).
 */
export async function addBaseMap(map: L.Map): Promise<void> {
  map.createPane("basemap");
  const pane = map.getPane("basemap") as HTMLElement;
  pane.style.zIndex = "200";
  const renderer = L.canvas({ pane: "basemap", padding: 0.3 });
  const coarse = layersOf(await loadTopology("countries-50m.json"), renderer);
  let detailed: BaseLayers | null = null;
  let loading: Promise<void> | null = null;
  let fine: L.GeoJSON | null = null;
  let fineBox: L.LatLngBounds | null = null;
  let fineCovered = false;
  let fineAsked = 0;
  let attributed = "";

  const showFill = (base: BaseLayers, on: boolean): void => {
    // fill under borders: the canvas paints in the order layers are added
    if (on === base.group.hasLayer(base.fill)) return;
    base.group.removeLayer(base.borders);
    if (on) base.group.addLayer(base.fill);
    else base.group.removeLayer(base.fill);
    base.group.addLayer(base.borders);
  };
  const showFine = (on: boolean): void => {
    for (const base of [coarse, detailed]) if (base) showFill(base, !on);
    if (fine && on !== map.hasLayer(fine)) {
      if (on) fine.addTo(map);
      else fine.remove();
    }
    document.body.dataset.land = on ? "fine" : "coarse";
  };
  const updateFine = async (): Promise<void> => {
    const box = map.getZoom() >= FINE_ZOOM ? landBox(map) : null;
    if (!box) {
      fineAsked++;
      showFine(false);
      return;
    }
    if (fine && fineBox?.contains(map.getBounds())) {
      showFine(fineCovered);
      return;
    }
    const asked = ++fineAsked;
    const bbox = [box.getWest(), box.getSouth(), box.getEast(), box.getNorth()].map((v) => v.toFixed(5)).join(",");
    const answer = await api.get("/api/layers/land", { query: { bbox } });
    if (asked !== fineAsked) return; // the map moved on meanwhile
    const layer = L.geoJSON(answer.features as unknown as GeoJSON.Feature[], { style: FINE_STYLE, renderer, pmIgnore: true } as L.GeoJSONOptions);
    if (fine) fine.remove();
    fine = layer;
    fineBox = box;
    fineCovered = answer.covered;
    if (answer.covered && !attributed) {
      attributed = creditOf(answer.attribution);
      credit(map, attributed);
    }
    showFine(fineCovered);
  };

  const update = (): void => {
    const wantDetail = map.getZoom() >= DETAIL_ZOOM;
    if (wantDetail && !detailed) {
      loading ??= loadTopology("countries-10m.json")
        .then((topology) => {
          detailed = layersOf(topology, renderer);
          showFill(detailed, !(fine && map.hasLayer(fine)));
          update();
        })
        .catch((err) => console.warn("detailed base map unavailable", err));
      if (!map.hasLayer(coarse.group)) coarse.group.addTo(map);
      document.body.dataset.basemap = "50m";
      return;
    }
    const show = wantDetail && detailed ? detailed : coarse;
    const hide = show === coarse ? detailed : coarse;
    if (hide && map.hasLayer(hide.group)) hide.group.remove();
    if (!map.hasLayer(show.group)) show.group.addTo(map);
    document.body.dataset.basemap = show === coarse ? "50m" : "10m";
  };
  const moved = (): void => {
    update();
    updateFine().catch((err) => {
      console.warn("fine land unavailable", err);
      showFine(false);
    });
  };
  map.on("moveend", moved); // also after every zoom
  document.body.dataset.land = "coarse";
  moved();
}
