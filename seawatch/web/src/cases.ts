// Cases beside the map: the list (status and text filters, newest change first) in the right column,
// and the open case's view (case-view.ts) drawn on the map. Opened from an alert, a track's dossier or
// by hand; every change comes back live (WebSocket "case") so two officers see the same list. Words come
// from the catalogues (`t`, keys "cases.*"): fixed text carries data-i18n (translatePage redraws it), the
// list's rows are drawn again when the language changes.
import "./cases.css";
import type * as L from "leaflet";
import { api, ApiError } from "./api";
import { CaseFilters } from "./case-filters";
import { CaseView } from "./case-view";
import type { CaseSummary } from "./generated/api";
import { fmtDateTime, onLanguageChange, t } from "./i18n";
import { problemText } from "./problem-text";
import { esc } from "./util";

const STATUSES = ["open", "monitoring", "interdiction", "closed"] as const;
const ACTIVE = "open,monitoring,interdiction";

export class CasesPanel {
  readonly view: CaseView;
  private readonly panel: HTMLElement;
  private readonly list: HTMLUListElement;
  private readonly status: HTMLSelectElement;
  private readonly search: HTMLInputElement;
  private readonly newForm: HTMLFormElement;
  private readonly filters = new CaseFilters();
  private reloadTimer = 0;
  private readonly known = new Map<string, CaseSummary>();
  private searchTimer = 0;
  onError: (message: string) => void = () => {};

  constructor(map: L.Map, host: HTMLElement, private readonly canEdit: boolean, canExport: boolean) {
    this.panel = document.createElement("section");
    this.panel.className = "panel cases";
    this.panel.dataset.testid = "cases-panel";
    // i18n-keys: cases.title cases.new cases.save cases.filter.active cases.filter.all
    // i18n-keys: cases.status.open cases.status.monitoring cases.status.interdiction cases.status.closed
    const word = (key: string) => `data-i18n="${key}">${esc(t(key))}`;
    this.panel.innerHTML = `<h2><span class="grow"><span ${word("cases.title")}</span> `
      + `<span class="badge quiet" data-testid="case-count">0</span></span>`
      + (canEdit ? `<button class="small" data-testid="case-new" ${word("cases.new")}</button>` : "")
      + `</h2>`
      + `<form class="case-new" data-testid="case-new-form" hidden><input data-testid="case-new-title" maxlength="200"`
      + ` required data-i18n-placeholder="cases.new_title" placeholder="${esc(t("cases.new_title"))}">`
      + `<button type="submit" class="small" ${word("cases.save")}</button></form>`
      + `<div class="row case-filters"><select data-testid="case-filter-status" data-i18n-aria-label="cases.filter.status"`
      + ` aria-label="${esc(t("cases.filter.status"))}">`
      + `<option value="${ACTIVE}" ${word("cases.filter.active")}</option>`
      + STATUSES.map((s) => `<option value="${s}" ${word(`cases.status.${s}`)}</option>`).join("")
      + `<option value="" ${word("cases.filter.all")}</option></select>`
      + `<input type="search" data-testid="case-search" maxlength="100" data-i18n-placeholder="cases.search"`
      + ` placeholder="${esc(t("cases.search"))}"></div>`
      + `<ul class="list case-list" data-testid="case-list"></ul>`;
    host.insertBefore(this.panel, host.querySelector("#dossier")); // under the alerts, above the dossier
    this.list = this.panel.querySelector("ul") as HTMLUListElement;
    this.list.before(this.filters.element);
    this.filters.onChange = () => void this.load();
    this.status = this.panel.querySelector("select") as HTMLSelectElement;
    this.search = this.panel.querySelector("input[type=search]") as HTMLInputElement;
    this.newForm = this.panel.querySelector("form") as HTMLFormElement;
    this.view = new CaseView(map, host, canEdit, canExport);
    this.view.onChanged = (c) => this.upsert(c);
    this.status.onchange = () => void this.load();
    this.search.oninput = () => {
      clearTimeout(this.searchTimer);
      this.searchTimer = window.setTimeout(() => void this.load(), 250);
    };
    this.panel.querySelector<HTMLButtonElement>("[data-testid=case-new]")?.addEventListener("click", () => {
      this.newForm.hidden = !this.newForm.hidden;
      this.newForm.querySelector("input")?.focus();
    });
    this.newForm.onsubmit = (e) => {
      e.preventDefault();
      const title = (this.newForm.querySelector("input") as HTMLInputElement).value.trim();
      if (title) void this.open({ title }).then(() => (this.newForm.hidden = true));
    };
    onLanguageChange(() => this.redraw());
  }

  /** The rows again in the new language (oldest first, so the newest ends on top as place prepends). */
  private redraw(): void {
    const shown = [...this.list.querySelectorAll<HTMLLIElement>("li.case-item")].reverse();
    for (const li of shown) {
      const c = this.known.get(li.dataset.caseId ?? "");
      if (c) this.place(c);
    }
    this.empty();
  }

  async load(): Promise<void> {
    const q = this.search.value.trim();
    try {
      const query = { status: this.status.value, q, limit: 200, ...this.filters.params() };
      const found = await api.get("/api/cases", { query });
      this.known.clear();
      this.list.replaceChildren();
      for (const c of [...found.cases].reverse()) this.place(c);
      this.empty();
    } catch (err) {
      const refused = err instanceof ApiError && err.status === 422;
      const reason = problemText(err, (err as Error).message); // a filter's refusal by its code, in words
      this.onError(refused ? t("case_find.refused", { reason }) : t("cases.failed", { reason }));
    }
  }

  /** Open a case (from an alert: event_id; a track: track_id; a vessel: mmsi; by hand: title) and show it. */
  async open(body: { event_id?: string; track_id?: string; mmsi?: number; title?: string }): Promise<void> {
    try {
      const made = await api.post("/api/cases", { ...body, status: "open" });
      this.upsert(made);
      await this.view.show(made.id);
    } catch (err) {
      this.onError(err instanceof ApiError ? t("cases.not_saved", { reason: problemText(err, err.message) }) : String(err));
    }
  }

  /** A case opened or changed (here, by another officer or through the API): refresh its row. With the
   * further filters set (vessel, track, days) only the node can tell whether it still belongs: ask again. */
  upsert(c: CaseSummary): void {
    if (this.filters.active()) {
      clearTimeout(this.reloadTimer);
      this.reloadTimer = window.setTimeout(() => void this.load(), 300);
      if (this.view.caseId === c.id) void this.view.refresh(c.version);
      return;
    }
    this.place(c);
  }

  private place(c: CaseSummary): void {
    this.known.set(c.id, c);
    const wanted = !this.status.value || this.status.value.split(",").includes(c.status);
    let item = this.list.querySelector<HTMLLIElement>(`li[data-case-id="${CSS.escape(c.id)}"]`);
    if (!wanted) {
      item?.remove();
    } else {
      if (!item) item = document.createElement("li");
      item.className = `case-item status-${c.status}`;
      item.dataset.testid = "case-item";
      item.dataset.caseId = c.id;
      item.dataset.status = c.status;
      item.tabIndex = 0;
      // i18n-keys: cases.kind.track cases.kind.event cases.kind.sighting cases.kind.asset cases.kind.vessel
      const counts = Object.entries(c.counts ?? {}).map(([k, n]) => `${n} ${t(`cases.kind.${k}`, { defaultValue: k })}`);
      item.innerHTML = `<div class="case-head"><span class="case-title">${esc(c.title)}</span>`
        + `<span class="case-status" data-testid="case-item-status">${esc(t(`cases.status.${c.status}`))}</span></div>`
        + `<div class="case-meta"><span>${esc(fmtDateTime(c.updated_at * 1000, { short: true }))}</span>`
        + ` <span>${esc(counts.join(" · "))}</span></div>`;
      item.onclick = () => void this.view.show(c.id);
      item.onkeydown = (k) => {
        if (k.key === "Enter") void this.view.show(c.id);
      };
      this.list.prepend(item); // last changed first
    }
    if (this.view.caseId === c.id) void this.view.refresh(c.version);
    this.empty();
  }

  private empty(): void {
    const n = this.list.querySelectorAll("li.case-item").length;
    const badge = this.panel.querySelector("[data-testid=case-count]") as HTMLElement;
    badge.textContent = String(n);
    this.list.querySelector("li.case-none")?.remove();
    if (n === 0) this.list.insertAdjacentHTML("beforeend", `<li class="case-none muted">${esc(t("cases.none"))}</li>`);
  }

  get canOpen(): boolean {
    return this.canEdit;
  }
}
