// Alerts panel: alerts (need a person now) ranked newest first, each saying who and why, with acknowledge
// and dismiss-with-a-reason; notices in a separate, quieter list. States come from the node and change
// live for every operator (WebSocket "alert_state"). The severity filter is kept in the user's profile.
import "./alerts.css";
import { api } from "./api";
import { eventLabel, severityOf, sharingText, whoText, whyText } from "./alert-text";
import type { AlertEvent, AlertState, AlertStateName } from "./alert-types";
import type { Profile } from "./profile";
import { alertKeys, setOpenAlert } from "./threat";
import { fmtDateTime, onLanguageChange, t } from "./i18n";
import { $, esc } from "./util";

const MAX_ITEMS = 300;
/** At most this many alerts flash at once: a wall of flashing tells the officer nothing (and costs CPU). */
const MAX_FLASHING = 5;
const LEVEL_KEY = "alerts.severity";
const HANDLED_KEY = "alerts.show_handled";

export { eventLabel, eventSummary } from "./alert-text";

export class AlertsPanel {
  private readonly events = new Map<string, AlertEvent>();
  private readonly states = new Map<string, AlertState>();
  private readonly alertList = $("alert-list") as HTMLUListElement;
  private readonly noticeList = $("notice-list") as HTMLUListElement;
  private readonly level = $("alert-level") as HTMLSelectElement;
  private readonly handled = $("alert-show-handled") as HTMLInputElement;
  private flashing: HTMLLIElement[] = [];
  private readonly threats = new Map<string, string[]>(); // open alerts marked on the map (threat.ts)
  onOpen: (e: AlertEvent) => void = () => {};
  /** "Open case" on an alert (operators); unset: no button. */
  onCase: ((e: AlertEvent) => void) | null = null;
  /** A vessel's name from the live picture, for events that arrive without one. */
  nameOf: (mmsi: number) => string | undefined = () => undefined;
  canAct = false;

  /** This node's id (from /api/health): events of any other origin were shared by a partner. */
  private ownNode: string | undefined;

  setOwnNode(node: string): void {
    this.ownNode = node;
    for (const [id, e] of this.events) {
      const item = this.item(id);
      if (item) this.fill(item, e);
    }
  }

  constructor(private readonly profile: Profile) {
    this.level.value = profile.get<string>(LEVEL_KEY, "alert") === "all" ? "all" : "alert";
    this.handled.checked = profile.get<boolean>(HANDLED_KEY, false) === true;
    this.applyFilter();
    this.level.onchange = () => {
      this.applyFilter();
      void profile.set(LEVEL_KEY, this.level.value).catch(() => undefined);
    };
    this.handled.onchange = () => {
      this.applyFilter();
      void profile.set(HANDLED_KEY, this.handled.checked).catch(() => undefined);
    };
    onLanguageChange(() => this.redraw());
  }

  /** Write every item again (after a language change). */
  private redraw(): void {
    for (const [id, e] of this.events) {
      const item = this.item(id);
      if (item) this.fill(item, e);
    }
  }

  private applyFilter(): void {
    const panel = this.alertList.closest(".panel") as HTMLElement;
    panel.dataset.level = this.level.value;
    panel.dataset.showHandled = this.handled.checked ? "1" : "0";
    $("notice-box").hidden = this.level.value !== "all";
  }

  /** Load a ranked batch (from /api/alerts) without flashing: initial load, reconnect or replay. */
  load(events: AlertEvent[]): void {
    for (const keys of this.threats.values()) setOpenAlert(keys, false);
    this.threats.clear();
    this.events.clear();
    this.states.clear();
    this.alertList.replaceChildren();
    this.noticeList.replaceChildren();
    const sorted = [...events].sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
    for (const e of sorted) this.add(e, false);
  }

  /** A live event: new ones flash; an update to a known event (same id) refreshes it in place. */
  add(e: AlertEvent, flash = true): void {
    if (!e || !e.id || !e.type) return;
    const gone = e.details?.supersedes; // an encounter first raised as a rendezvous: one meeting, one item
    if (Array.isArray(gone)) for (const id of gone) this.remove(String(id));
    const known = this.events.get(e.id);
    const merged: AlertEvent = { ...e, vessels: e.vessels ?? known?.vessels };
    this.events.set(e.id, merged);
    if (e.state) this.states.set(e.id, e.state);
    const severity = severityOf(merged);
    const list = severity === "alert" ? this.alertList : this.noticeList;
    const existing = this.item(e.id);
    const item = existing ?? document.createElement("li");
    this.fill(item, merged);
    if (!existing) list.prepend(item);
    if (flash && !known && severity === "alert" && this.state(e.id).state === "open") this.flash(item);
    this.trim(list);
    this.count();
  }

  private remove(id: string): void {
    const e = this.events.get(id);
    if (!e) return;
    this.markThreat(e, false);
    this.events.delete(id);
    this.states.delete(id);
    this.item(id)?.remove();
    this.count();
  }

  /** Another operator (or this one) acknowledged, dismissed or reopened an alert. */
  setState(state: AlertState): void {
    if (!state?.event_id) return;
    this.states.set(state.event_id, state);
    const e = this.events.get(state.event_id);
    const item = this.item(state.event_id);
    if (e && item) this.fill(item, e);
    this.count();
  }

  get(id: string): AlertEvent | undefined {
    return this.events.get(id);
  }

  private state(id: string): AlertState {
    return this.states.get(id) ?? { event_id: id, state: "open" };
  }

  private item(id: string): HTMLLIElement | null {
    return document.querySelector<HTMLLIElement>(`li[data-event-id="${CSS.escape(id)}"]`);
  }

  private trim(list: HTMLUListElement): void {
    while (list.children.length > MAX_ITEMS) {
      const last = list.lastElementChild as HTMLElement;
      this.events.delete(last.dataset.eventId ?? "");
      last.remove();
    }
  }

  private count(): void {
    const open = (list: HTMLUListElement) => list.querySelectorAll("li[data-state=open]").length;
    for (const [id, list] of [["alert-count", this.alertList], ["notice-count", this.noticeList]] as const) {
      const n = open(list);
      $(id).textContent = String(n);
      $(id).classList.toggle("quiet", n === 0); // red only when something waits for a person
    }
  }

  private flash(item: HTMLLIElement): void {
    item.classList.add("flash");
    this.flashing.push(item);
    while (this.flashing.length > MAX_FLASHING) this.flashing.shift()?.classList.remove("flash");
    setTimeout(() => {
      item.classList.remove("flash");
      this.flashing = this.flashing.filter((x) => x !== item);
    }, 6000);
    const panel = this.alertList.closest(".panel");
    panel?.classList.remove("flash-panel");
    void (panel as HTMLElement | null)?.offsetWidth;
    panel?.classList.add("flash-panel");
  }

  private nameFor(e: AlertEvent): (mmsi: number) => string | undefined {
    return (mmsi) => e.vessels?.find((v) => v.mmsi === mmsi)?.name?.trim() || this.nameOf(mmsi);
  }

  private markThreat(e: AlertEvent, open: boolean): void {
    const marked = this.threats.get(e.id);
    if (open && !marked) {
      const keys = alertKeys(e.track_ids, e.mmsi);
      setOpenAlert(keys, true);
      this.threats.set(e.id, keys);
    } else if (!open && marked) {
      setOpenAlert(marked, false);
      this.threats.delete(e.id);
    }
  }

  private fill(item: HTMLLIElement, e: AlertEvent): void {
    const severity = severityOf(e);
    const state = this.state(e.id);
    this.markThreat(e, severity === "alert" && state.state === "open");
    const flashing = item.classList.contains("flash");
    item.className = `alert sev-${severity} state-${state.state}${flashing ? " flash" : ""}`;
    item.dataset.testid = severity === "alert" ? "alert-item" : "notice-item";
    item.dataset.eventId = e.id;
    item.dataset.eventType = e.type;
    item.dataset.severity = severity;
    item.dataset.state = state.state;
    item.tabIndex = 0;
    const why = whyText(e);
    const shared = sharingText(e, this.ownNode);
    const stateWord = state.state === "acknowledged" ? t("alerts.acknowledged") : t("alerts.dismissed");
    const stateText = state.state === "open" ? ""
      : `${state.by ? t("alerts.by", { state: stateWord, who: state.by }) : stateWord}${state.reason ? `: ${state.reason}` : ""}`;
    item.innerHTML = `<div class="alert-head"><span class="alert-type">${esc(eventLabel(e.type))}</span>`
      + `<span class="alert-time">${esc(fmtDateTime(Date.parse(e.start), { short: true }))}</span></div>`
      + `<div class="alert-who" data-testid="alert-who">${esc(whoText(e, this.nameFor(e)))}</div>`
      + `<div class="alert-why" data-testid="alert-why" title="${esc(why.rule)}">${esc(why.checks.join(" · ") || why.rule)}</div>`
      + (shared.length ? `<div class="alert-share" data-testid="alert-share">${esc(shared.join(" · "))}</div>` : "")
      + (stateText ? `<div class="alert-state" data-testid="alert-state">${esc(stateText)}</div>` : "")
      + (this.canAct ? this.actionsHtml(state.state) : "");
    item.onclick = (ev) => {
      if ((ev.target as HTMLElement).closest(".alert-actions")) return;
      this.onOpen(this.events.get(e.id) ?? e);
    };
    item.onkeydown = (k) => {
      if (k.key === "Enter" && !(k.target as HTMLElement).closest(".alert-actions")) this.onOpen(this.events.get(e.id) ?? e);
    };
    this.wireActions(item, e.id);
  }

  private actionsHtml(state: AlertStateName): string {
    const buttons = state === "open"
      ? `<button class="small" data-testid="alert-ack">${esc(t("alerts.ack"))}</button>`
        + `<button class="small ghost" data-testid="alert-dismiss">${esc(t("alerts.dismiss"))}</button>`
      : `<button class="small ghost" data-testid="alert-reopen">${esc(t("alerts.reopen"))}</button>`;
    const caseButton = this.onCase ? `<button class="small ghost" data-testid="alert-open-case">${esc(t("cases.open_case"))}</button>` : "";
    return `<div class="alert-actions">${buttons}${caseButton}</div>`
      + `<form class="alert-reason" data-testid="alert-reason-form" hidden>`
      + `<input data-testid="alert-reason" placeholder="${esc(t("alerts.reason"))}" minlength="3" maxlength="500" required>`
      + `<button type="submit" class="small" data-testid="alert-dismiss-confirm">${esc(t("alerts.dismiss_confirm"))}</button></form>`;
  }

  private wireActions(item: HTMLLIElement, id: string): void {
    const send = (state: AlertStateName, reason?: string) => void this.send(id, state, reason);
    item.querySelector<HTMLButtonElement>("[data-testid=alert-ack]")?.addEventListener("click", () => send("acknowledged"));
    item.querySelector<HTMLButtonElement>("[data-testid=alert-reopen]")?.addEventListener("click", () => send("open"));
    item.querySelector<HTMLButtonElement>("[data-testid=alert-open-case]")?.addEventListener("click", () => {
      const e = this.events.get(id);
      if (e) this.onCase?.(e);
    });
    const form = item.querySelector<HTMLFormElement>("form.alert-reason");
    item.querySelector<HTMLButtonElement>("[data-testid=alert-dismiss]")?.addEventListener("click", () => {
      if (!form) return;
      form.hidden = false;
      form.querySelector("input")?.focus();
    });
    form?.addEventListener("click", (ev) => ev.stopPropagation());
    form?.addEventListener("submit", (ev) => {
      ev.preventDefault();
      send("dismissed", form.querySelector("input")?.value.trim());
    });
  }

  private async send(id: string, state: AlertStateName, reason?: string): Promise<void> {
    try {
      const saved = await api.put("/api/alerts/{event_id}/state", { state, reason: reason || null }, { path: { event_id: id } });
      this.setState(saved);
    } catch (err) {
      const item = this.item(id);
      item?.setAttribute("title", t("alerts.not_saved", { reason: (err as Error).message }));
      item?.classList.add("error");
    }
  }
}
