// Download the current view (map extent, the hour before the picture time) as GeoJSON, KML, CSV or
// GeoParquet through GET /api/export/{kind}; a problem+json answer is shown, never saved as a file.
import type * as L from "leaflet";
import { ApiError, query } from "./api";
import type { Problem } from "./types";
import { onLanguageChange, t } from "./i18n";
import { problemText } from "./problem-text";

const KINDS = ["tracks", "positions", "events", "sightings", "zones"];
const FORMATS: [string, string][] = [
  ["geojson", "GeoJSON"],
  ["kml", "KML"],
  ["csv", "CSV"],
  ["parquet", "Parquet"],
];

function wrapLon(lon: number): number {
  return ((((lon + 180) % 360) + 360) % 360) - 180;
}

/** The map extent as the API's bbox; a view across ±180° gives minlon > maxlon (the API splits it). */
export function viewBbox(bounds: L.LatLngBounds): string | null {
  const west = bounds.getWest();
  const east = bounds.getEast();
  if (east - west >= 360) return null; // the whole world is in view
  const lat = (v: number) => Math.max(-90, Math.min(90, v)).toFixed(5);
  return [wrapLon(west).toFixed(5), lat(bounds.getSouth()), wrapLon(east).toFixed(5), lat(bounds.getNorth())].join(",");
}

function select(testid: string, options: [string, string][]): HTMLSelectElement {
  const el = document.createElement("select");
  el.dataset.testid = testid;
  for (const [value, text] of options) el.add(new Option(text, value));
  return el;
}

export class ExportControl {
  readonly kind = select("export-kind", KINDS.map((k) => [k, k]));
  readonly format = select("export-format", FORMATS);
  readonly button = document.createElement("button");
  onError: (message: string) => void = () => {};

  /** `pictureTime` gives the replay time (ms), or null while live. */
  constructor(
    private readonly map: L.Map,
    private readonly pictureTime: () => number | null,
    private readonly windowMs: number,
  ) {
    const box = document.createElement("span");
    box.className = "export";
    box.dataset.testid = "export";
    this.button.className = "ghost small";
    this.button.dataset.testid = "export-download";
    this.label();
    onLanguageChange(() => this.label());
    this.button.onclick = () => void this.download();
    box.append(this.kind, this.format, this.button);
    const spacer = document.querySelector(".topbar .spacer");
    spacer?.parentElement?.insertBefore(box, spacer);
  }

  private label(): void {
    this.button.textContent = t("export.download");
    this.button.title = t("export.hint");
    this.kind.setAttribute("aria-label", t("export.what"));
    this.format.setAttribute("aria-label", t("export.format"));
    // i18n-keys: export.tracks export.positions export.events export.sightings export.zones
    for (const option of this.kind.options) option.text = t(`export.${option.value}`);
  }

  url(): string {
    const end = this.pictureTime() ?? Date.now();
    const kind = this.kind.value;
    return `/api/export/${kind}${query({
      format: this.format.value,
      start: kind === "zones" ? undefined : new Date(end - this.windowMs).toISOString(),
      end: kind === "zones" ? undefined : new Date(end).toISOString(),
      bbox: viewBbox(this.map.getBounds()),
    })}`;
  }

  async download(): Promise<void> {
    this.button.disabled = true;
    try {
      const response = await fetch(this.url(), { credentials: "same-origin" });
      if (!response.ok) {
        const problem = (await response.json().catch(() => ({}))) as Partial<Problem>;
        throw new ApiError(response.status, problem.detail ?? `HTTP ${response.status}`, problem);
      }
      const name = /filename="([^"]+)"/.exec(response.headers.get("content-disposition") ?? "")?.[1] ?? "export";
      const link = document.createElement("a");
      link.href = URL.createObjectURL(await response.blob());
      link.download = name;
      link.dataset.testid = "export-link";
      document.body.append(link);
      link.click();
      setTimeout(() => {
        URL.revokeObjectURL(link.href);
        link.remove();
      }, 1000);
    } catch (err) {
      this.onError(t("msg.failed", { what: t("msg.export"), reason: problemText(err, (err as Error).message) }));
    } finally {
      this.button.disabled = false;
    }
  }
}
