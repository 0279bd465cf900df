// The case list's further filters, folded under its status and text filters: a vessel (MMSI or name), a
// track id, and a day window on when cases were opened or last changed. `params()` gives them as
// GET /api/cases query parameters (the node checks them: a bad value is a 422 naming it). Labels carry
// data-i18n, so the page's language switch relabels them (i18n.translatePage).
import { translatePage } from "./i18n";

export type CaseFilterParams = Partial<Record<
  "vessel" | "track" | "opened_after" | "opened_before" | "updated_after" | "updated_before", string>>;

export class CaseFilters {
  readonly element: HTMLDetailsElement;
  onChange: () => void = () => {};
  private timer = 0;

  constructor() {
    this.element = document.createElement("details");
    this.element.className = "fold case-more-filters";
    this.element.dataset.testid = "case-filters-more";
    this.element.innerHTML = `<summary data-i18n="case_find.more"></summary><div class="case-filter-grid">`
      + `<label><span data-i18n="case_find.vessel"></span><input data-testid="case-filter-vessel" maxlength="100"></label>`
      + `<label><span data-i18n="case_find.track"></span><input data-testid="case-filter-track" maxlength="200"></label>`
      + `<label class="case-filter-when"><span data-i18n="case_find.when"></span><select data-testid="case-filter-when">`
      + `<option value="opened" data-i18n="case_find.opened"></option><option value="updated" data-i18n="case_find.updated"></option></select></label>`
      + `<span class="case-filter-days"><label><span data-i18n="case_find.from"></span><input type="date" data-testid="case-filter-from"></label>`
      + `<label><span data-i18n="case_find.to"></span><input type="date" data-testid="case-filter-to"></label></span>`
      + `<button type="button" class="small ghost" data-testid="case-filter-clear" data-i18n="case_find.clear"></button></div>`;
    translatePage(this.element);
    for (const input of this.element.querySelectorAll<HTMLInputElement>("input")) {
      input.addEventListener(input.type === "date" ? "change" : "input", () => this.changed(input.type === "date" ? 0 : 300));
    }
    this.field<HTMLSelectElement>("when").onchange = () => this.changed(0);
    this.field<HTMLButtonElement>("clear").onclick = () => {
      for (const input of this.element.querySelectorAll<HTMLInputElement>("input")) input.value = "";
      this.changed(0);
    };
  }

  private field<T extends HTMLElement>(name: string): T {
    return this.element.querySelector(`[data-testid=case-filter-${name}]`) as T;
  }

  private changed(delayMs: number): void {
    this.element.dataset.active = this.active() ? "1" : "";
    clearTimeout(this.timer);
    this.timer = window.setTimeout(() => this.onChange(), delayMs);
  }

  /** Is any of these filters set (the list must then ask the node rather than place live changes itself)? */
  active(): boolean {
    return Object.keys(this.params()).length > 0;
  }

  params(): CaseFilterParams {
    const out: CaseFilterParams = {};
    const vessel = this.field<HTMLInputElement>("vessel").value.trim();
    const track = this.field<HTMLInputElement>("track").value.trim();
    if (vessel) out.vessel = vessel;
    if (track) out.track = track;
    const when = this.field<HTMLSelectElement>("when").value === "updated" ? "updated" : "opened";
    const from = this.field<HTMLInputElement>("from").value;
    const to = this.field<HTMLInputElement>("to").value;
    if (from) out[`${when}_after`] = `${from}T00:00:00Z`; // days in UTC, as every time on the page
    if (to) out[`${when}_before`] = `${to}T23:59:59Z`;
    return out;
  }
}
