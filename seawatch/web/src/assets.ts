// Patrol assets on the map (own symbols: boat, aircraft, helicopter) and the fleet panel: readiness now,
// the 7-day readiness board, release of a tasked asset. Live changes arrive as {"kind": "asset"} messages.
import * as L from "leaflet";
import { api } from "./api";
import { fmtQuantity, onLanguageChange, t } from "./i18n";
import type * as Api from "./generated/api";
import { esc } from "./util";

/** An asset with its readiness now, where it is and its tasking (GET /api/ops/assets, "asset" messages). */
export type AssetView = Api.AssetOut;
type Board = Api.BoardOut;

// inline SVG symbols (emoji and dingbat glyphs are missing from many fonts, e.g. on a watch floor's Linux box)
const PATHS: Record<string, string> = {
  boat: "M2 11.5h16l-3 4.5H5z M9 3h1.6v8H9z M10.6 4l4.4 6h-4.4z",
  aircraft: "M10 1.5l1.3 6.2 6.2 3.1v1.7l-6.2-1.6-.4 4.3 2 1.6v1.4l-2.9-.8-2.9.8v-1.4l2-1.6-.4-4.3-6.2 1.6v-1.7l6.2-3.1z",
  helicopter: "M2 4h16v1.4H2z M9.3 5h1.4v2H9.3z M5 9.5a5 3.5 0 0 1 10 0v2a3 3 0 0 1-3 3H8a3 3 0 0 1-3-3z M14.5 10.5h4v1.4h-4z",
};

function glyph(kind: string): string {
  const d = PATHS[kind] ?? "M10 3l7 7-7 7-7-7z";
  // i18n-keys: fleet.boat fleet.aircraft fleet.helicopter
  return `<svg class="asset-glyph" viewBox="0 0 20 20" width="14" height="14" aria-label="${esc(t(`fleet.${kind}`, { defaultValue: kind }))}"><path d="${d}" fill="currentColor"/></svg>`;
}
/** A readiness state in the user's language. */
function stateLabel(state: string): string {
  // i18n-keys: fleet.ready fleet.standby fleet.on_task fleet.maintenance
  return t(`fleet.${state}`, { defaultValue: state.replace(/_/g, " ") });
}

export class AssetLayer {
  private readonly markers = new Map<string, L.Marker>();
  readonly assets = new Map<string, AssetView>();
  private readonly panel: HTMLElement;
  private board: Board | null = null;
  onRelease: (id: string) => void = () => {};

  constructor(private readonly map: L.Map, private readonly canTask: boolean) {
    this.panel = document.createElement("section");
    this.panel.className = "panel fleet";
    this.panel.dataset.testid = "fleet-panel";
    this.panel.innerHTML = `<h2><span class="grow" data-i18n="fleet.title">${esc(t("fleet.title"))}</span></h2>`
      + `<div class="board" data-testid="readiness-board"></div><ul class="list fleet-list" data-testid="fleet-list"></ul>`;
    document.querySelector(".side.left")?.prepend(this.panel);
    onLanguageChange(() => {
      this.renderList();
      if (this.board) this.showBoard(this.board);
    });
  }

  async load(): Promise<void> {
    const [assets, board] = await Promise.all([api.get("/api/ops/assets"), api.get("/api/ops/readiness")]);
    for (const a of assets) this.upsert(a);
    this.showBoard(board);
  }

  async refreshBoard(): Promise<void> {
    this.showBoard(await api.get("/api/ops/readiness"));
  }

  upsert(a: AssetView): void {
    const before = this.assets.get(a.id)?.readiness_now.state;
    this.assets.set(a.id, a);
    const state = a.readiness_now?.state ?? a.readiness.state;
    if (before !== undefined && before !== state) void this.refreshBoard().catch(() => undefined);
    const icon = L.divIcon({
      className: "asset-icon",
      html: `<div class="asset-sym state-${esc(state)}" data-testid="asset-marker" data-asset-id="${esc(a.id)}"`
        + ` data-state="${esc(state)}" data-lat="${a.where.lat}" data-lon="${a.where.lon}" data-source="${esc(a.where.source)}">`
        + `${glyph(a.kind)}</div>`,
      iconSize: [24, 24],
      iconAnchor: [12, 12],
    });
    let marker = this.markers.get(a.id);
    if (!marker) {
      marker = L.marker([a.where.lat, a.where.lon], { icon, zIndexOffset: 1000, keyboard: false });
      marker.bindTooltip(() => this.tooltip(a.id), { direction: "top", offset: [0, -10], className: "track-tip" });
      marker.addTo(this.map);
      this.markers.set(a.id, marker);
    } else {
      marker.setLatLng([a.where.lat, a.where.lon]);
      marker.setIcon(icon);
    }
    this.renderList();
  }

  private tooltip(id: string): string {
    const a = this.assets.get(id);
    if (!a) return "";
    return `<b>${esc(a.name)}</b> (${esc(a.id)})<br>${esc(stateLabel(a.readiness_now.state))}`
      + ` · ${esc(fmtQuantity(a.max_speed_kn, "kn", 0))} · ${esc(t("fleet.position_from", { source: a.where.source }))}`;
  }

  private renderList(): void {
    const list = this.panel.querySelector(".fleet-list") as HTMLUListElement;
    list.replaceChildren();
    for (const a of [...this.assets.values()].sort((x, y) => x.id.localeCompare(y.id))) {
      const state = a.readiness_now.state;
      const li = document.createElement("li");
      li.className = `fleet-item state-${state}`;
      li.dataset.testid = "fleet-item";
      li.dataset.assetId = a.id;
      li.dataset.state = state;
      let why = "";
      if (state === "maintenance") {
        why = ` ${esc(t("fleet.until", { date: (a.readiness.until ?? "").slice(0, 10) }))}${a.readiness.reason ? ` · ${esc(a.readiness.reason)}` : ""}`;
      }
      if (state === "standby") why = ` · ${esc(t("fleet.notice", { n: a.readiness.notice_h ?? "?" }))}`;
      if (state === "on_task") why = ` · ${esc(a.readiness.task ?? "")}`;
      li.innerHTML = `<span class="fleet-glyph">${glyph(a.kind)}</span><span class="fleet-name">${esc(a.name)}</span>`
        + `<span class="fleet-state">${esc(stateLabel(state))}${why}</span>`;
      if (state === "on_task" && this.canTask) {
        const b = document.createElement("button");
        b.className = "small ghost";
        b.textContent = t("fleet.release");
        b.dataset.testid = "asset-release";
        b.onclick = (e) => { e.stopPropagation(); this.onRelease(a.id); };
        li.append(b);
      }
      li.onclick = () => this.map.setView([a.where.lat, a.where.lon], Math.max(this.map.getZoom(), 9));
      list.append(li);
    }
  }

  private showBoard(board: Board): void {
    this.board = board;
    const el = this.panel.querySelector(".board") as HTMLElement;
    const head = board.days.map((d) => `<th>${esc(d.date.slice(8))}</th>`).join("");
    const rows = board.kinds.map((k) => `<tr data-kind="${esc(k)}"><th>${glyph(k)} ${esc(k)}</th>`
      + `<td class="now" data-testid="board-now">${board.now[k] ?? 0}/${board.totals[k] ?? 0}</td>`
      + board.days.map((d) => `<td data-date="${esc(d.date)}">${d.available[k] ?? 0}</td>`).join("") + "</tr>").join("");
    el.innerHTML = `<table class="board-table"><tr><th></th><th>${esc(t("fleet.now"))}</th>${head}</tr>${rows}</table>`;
  }
}
