// Interceptability: each alert shows its best intercept (asset, ETA, inside the territorial sea) or
// "no asset can reach it"; the alert list can be ordered by it; an operator tasks the asset from the alert,
// and every operator sees the target, the route, the intercept point and its 95 % search circle (WebSocket
// "tasking" messages). Where a plan's ETA is shown, its conservative (95 %) ETA is shown beside it.
import * as L from "leaflet";
import { api, ApiError } from "./api";
import { fmtDuration, fmtQuantity, onLanguageChange, t } from "./i18n";
import { problemText } from "./problem-text";
import type * as Api from "./generated/api";
import { esc } from "./util";

/** An alert's best intercept (GET /api/ops/alerts, WebSocket "intercept" messages). */
export type BestIntercept = Api.BestIntercept;
/** A tasking (GET /api/ops/taskings, WebSocket "tasking" messages), or its end. */
export type Tasking = Api.Tasking | Api.TaskingReleased;

const NM_M = 1852; // metres in a nautical mile
const PLAN_COLOUR = "#3ccf7a"; // the plan's route, intercept point and search circle

/** "at worst 32 min" (the conservative, 95 % ETA), or "" when the plan has none. */
function worstText(worstS: number | null | undefined): string {
  return typeof worstS === "number" && Number.isFinite(worstS) ? t("intercept.eta_worst", { time: fmtDuration(worstS) }) : "";
}

export class InterceptView {
  private readonly best = new Map<string, BestIntercept>();
  private readonly rank = new Map<string, number>();
  private readonly drawn = new Map<string, L.LayerGroup>();
  private readonly list: HTMLUListElement;
  private readonly order: HTMLSelectElement;
  private applying = false;
  onError: (message: string) => void = () => {};
  onTasked: () => void = () => {};

  constructor(private readonly map: L.Map, private readonly canTask: boolean) {
    this.list = document.getElementById("alert-list") as HTMLUListElement;
    this.order = document.createElement("select");
    this.order.dataset.testid = "alert-order";
    const label = () => {
      this.order.title = t("intercept.order_hint");
      this.order.innerHTML = `<option value="time">${esc(t("intercept.newest"))}</option>`
        + `<option value="intercept">${esc(t("intercept.interceptable"))}</option>`;
    };
    label();
    onLanguageChange(() => {
      const value = this.order.value;
      label();
      this.order.value = value;
      this.apply();
    });
    this.order.onchange = () => this.apply();
    this.list.closest(".panel")?.querySelector("h2")?.append(this.order);
    // the alert panel redraws its items on every update: put our line back each time
    new MutationObserver(() => { if (!this.applying) this.apply(); }).observe(this.list, { childList: true, subtree: false });
  }

  async load(): Promise<void> {
    const [ranked, taskings] = await Promise.all([
      api.get("/api/ops/alerts"),
      api.get("/api/ops/taskings"),
    ]);
    ranked.forEach((r) => this.best.set(r.event.id, r.intercept));
    for (const t of taskings) this.showTasking(t);
    this.apply();
  }

  update(message: Api.InterceptUpdate): void {
    this.best.set(message.event_id, message);
    this.apply();
  }

  /** Reachable inside the territorial sea first, then reachable elsewhere, then unreachable; earliest first;
   * at the same ETA a go-fast first (it is the one that gets away). */
  private score(li: HTMLLIElement): [number, number, number] {
    const b = this.best.get(li.dataset.eventId ?? "");
    const goFast = li.dataset.eventType === "speed_anomaly" ? 0 : 1;
    if (!b || !b.reachable) return [b ? 2 : 3, 0, goFast];
    return [b.in_territorial_sea ? 0 : 1, b.eta_s ?? 0, goFast];
  }

  apply(): void {
    this.applying = true;
    try {
      for (const li of Array.from(this.list.children) as HTMLLIElement[]) this.decorate(li);
      if (this.order.value === "intercept") {
        const items = Array.from(this.list.children) as HTMLLIElement[];
        const sorted = [...items].sort((a, b) => {
          const [ra, ea, ga] = this.score(a);
          const [rb, eb, gb] = this.score(b);
          return ra - rb || ea - eb || ga - gb;
        });
        if (sorted.some((li, i) => li !== items[i])) this.list.append(...sorted);
      }
    } finally {
      this.applying = false;
    }
  }

  private decorate(li: HTMLLIElement): void {
    const id = li.dataset.eventId ?? "";
    const b = this.best.get(id);
    let line = li.querySelector<HTMLDivElement>(".alert-intercept");
    if (!b) {
      line?.remove();
      return;
    }
    if (!line) {
      line = document.createElement("div");
      line.className = "alert-intercept";
      line.dataset.testid = "alert-intercept";
      li.append(line);
    }
    line.dataset.reachable = b.reachable ? "1" : "0";
    line.dataset.asset = b.asset ?? "";
    if (!b.reachable) {
      line.innerHTML = `<span class="no-asset">${esc(t("intercept.unreachable"))}</span>`;
      return;
    }
    const ts = b.in_territorial_sea ? `<span class="in-ts" title="${esc(b.zone ?? "")}">${esc(t("intercept.in_ts"))}</span>` : "";
    const worst = worstText(b.eta_worst_s);
    line.innerHTML = `<span class="best">${esc(b.asset_name ?? b.asset)}</span>`
      + `<span class="eta" data-testid="alert-eta">${esc(t("intercept.eta", { time: fmtDuration(b.eta_s ?? 0) }))}</span>`
      + (worst ? `<span class="eta-worst" data-testid="alert-eta-worst" data-eta-worst-s="${b.eta_worst_s}"`
        + ` title="${esc(t("intercept.eta_worst_hint"))}">${esc(worst)}</span>` : "") + ts;
    const asset = b.asset, track = b.track_id;
    if (this.canTask && asset && track) {
      const button = document.createElement("button");
      button.className = "small";
      button.textContent = t("intercept.task");
      button.dataset.testid = "alert-task";
      button.onclick = (e) => {
        e.stopPropagation();
        void this.task(asset, track, id);
      };
      line.append(button);
    }
  }

  private async task(assetId: string, trackId: string, eventId: string): Promise<void> {
    try {
      await api.post("/api/ops/assets/{asset_id}/task", { track_id: trackId, event_id: eventId }, { path: { asset_id: assetId } });
      this.onTasked();
    } catch (err) {
      this.onError(err instanceof ApiError ? problemText(err) : (err as Error).message);
    }
  }

  async release(assetId: string): Promise<void> {
    try {
      await api.post("/api/ops/assets/{asset_id}/release", {}, { path: { asset_id: assetId } });
    } catch (err) {
      this.onError((err as Error).message);
    }
  }

  /** Draw (or on release remove) a tasking: the target, the route over water, the intercept point and the
   * 95 % search circle around it (a thin dashed line in the plan's colour; radius search_radius_nm). Tooltips
   * are read when shown, so they follow a language change. */
  showTasking(task: Tasking): void {
    this.drawn.get(task.asset_id)?.remove();
    this.drawn.delete(task.asset_id);
    if ("released" in task) return;
    const group = L.layerGroup();
    const route = task.plan.route.map(([lon, lat]): L.LatLngTuple => [lat, lon]);
    if (route.length > 1) {
      L.polyline(route, { color: PLAN_COLOUR, weight: 3, dashArray: "8 6", className: "intercept-route", interactive: false }).addTo(group);
    }
    const plan = task.plan;
    let search: L.Circle | null = null;
    if (plan.lat !== null && plan.lon !== null) {
      const radiusNm = plan.search_radius_nm;
      if (typeof radiusNm === "number" && Number.isFinite(radiusNm) && radiusNm > 0) {
        search = L.circle([plan.lat, plan.lon], {
          radius: radiusNm * NM_M, color: PLAN_COLOUR, weight: 1.5, opacity: 0.8, dashArray: "4 6",
          fillColor: PLAN_COLOUR, fillOpacity: 0.05, className: "intercept-search",
        }).bindTooltip(() => esc(t("intercept.search", { radius: fmtQuantity(radiusNm, "nm") })), { className: "track-tip search-tip", direction: "top", sticky: true })
          .addTo(group);
      }
      L.circleMarker([plan.lat, plan.lon], { radius: 7, color: PLAN_COLOUR, weight: 2, fillOpacity: 0.3, className: "intercept-point" })
        .bindTooltip(() => {
          const worst = worstText(plan.eta_worst_s);
          return esc(t("intercept.tip", { asset: task.asset_id, track: task.track_id, time: fmtDuration(plan.eta_s ?? 0) })
            + (worst ? ` · ${worst}` : ""));
        }, { className: "track-tip" })
        .addTo(group);
    }
    L.circleMarker([task.target.lat, task.target.lon], { radius: 14, color: "#ff3b3b", weight: 2, fill: false, className: "tasked-target" }).addTo(group);
    group.addTo(this.map);
    // what the circle is, for whoever reads the page (the radius in metres, as drawn)
    search?.getElement()?.setAttribute("data-radius-m", String(search.getRadius()));
    this.drawn.set(task.asset_id, group);
  }
}
