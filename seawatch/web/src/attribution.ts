// The map's credits in one short line (each source named once: "Natural Earth, © OpenStreetMap (ODbL),
// NOAA"), with what each one gives in the line's tooltip, so it never wraps over the scale bar.
import type * as L from "leaflet";
import { t } from "./i18n";

/** OpenStreetMap's credit (ODbL): the territorial seas and, from harbour zoom, the coastline. */
export const OSM_CREDIT = "© OpenStreetMap (ODbL)";
export const NATURAL_EARTH_CREDIT = "Natural Earth";
export const NOAA_CREDIT = "NOAA";

/** Leaflet counts a credit added twice once: the same source from two layers shows once. */
export function credit(map: L.Map, text: string): void {
  map.attributionControl.addAttribution(text);
}

/** A source's own credit line, shortened to its source's name where it is one of ours. */
export function creditOf(attribution: string): string {
  if (/openstreetmap/i.test(attribution)) return OSM_CREDIT;
  if (/noaa/i.test(attribution)) return NOAA_CREDIT;
  if (/natural earth/i.test(attribution)) return NATURAL_EARTH_CREDIT;
  return attribution;
}

export function setUpCredits(map: L.Map): void {
  const control = map.attributionControl.setPrefix("");
  credit(map, NATURAL_EARTH_CREDIT);
  const box = control.getContainer();
  if (box) {
    box.dataset.i18nTitle = "map.sources"; // redrawn on a language change
    box.title = t("map.sources");
    box.dataset.testid = "map-credits";
  }
}
