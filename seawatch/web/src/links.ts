// Link health per partner (GET /api/share/links): what waits here and on the broker, when the link last
// moved, the last error. Hidden on a node without federation (the route answers 503).
import { api, ApiError } from "./api";
import type { LinkHealth } from "./generated/api";
import { fmtNumber, onLanguageChange, t } from "./i18n";


function ago(iso: string | null): string {
  if (!iso) return t("links.never");
  const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  if (s < 90) return t("links.ago", { time: `${Math.round(s)} s` });
  if (s < 5400) return t("links.ago", { time: `${Math.round(s / 60)} ${t("unit.min")}` });
  return t("links.ago", { time: `${fmtNumber(s / 3600, 1)} ${t("unit.h")}` });
}

function cell(row: HTMLTableRowElement, text: string, title = ""): void {
  const td = row.insertCell();
  td.textContent = text; // partner-supplied text (errors) never becomes markup
  if (title) td.title = title;
}

export class LinksPanel {
  private readonly section = document.createElement("section");
  private readonly table = document.createElement("table");

  constructor(parent: Element | null, private readonly everyMs = 15_000) {
    this.section.className = "panel links-panel";
    this.section.dataset.testid = "links-panel";
    this.section.hidden = true;
    const h2 = document.createElement("h2");
    h2.textContent = t("links.title");
    onLanguageChange(() => {
      h2.textContent = t("links.title");
      void this.refresh();
    });
    this.table.className = "links";
    this.section.append(h2, this.table);
    parent?.append(this.section);
    void this.refresh();
    window.setInterval(() => void this.refresh(), this.everyMs);
  }

  async refresh(): Promise<void> {
    let links: LinkHealth[];
    try {
      links = (await api.get("/api/share/links")).links;
    } catch (err) {
      if (err instanceof ApiError && (err.status === 503 || err.status === 404)) this.section.hidden = true;
      return;
    }
    this.section.hidden = links.length === 0;
    this.table.replaceChildren();
    const head = this.table.createTHead().insertRow();
    for (const h of ["partner", "waiting", "last_in", "last_out", "error"]) cell(head, t(`links.${h}`));
    // i18n-keys: links.partner links.waiting links.last_in links.last_out links.error
    const body = this.table.createTBody();
    for (const l of links) {
      const row = body.insertRow();
      row.dataset.state = !l.connected ? "down" : l.last_error ? "warn" : "ok";
      cell(row, l.partner);
      const broker = l.broker_waiting_messages === null ? "?" : String(l.broker_waiting_messages);
      cell(row, `${l.outbox_items} + ${broker}`, t("links.waiting_hint"));
      cell(row, ago(l.last_received), t("links.received", { kept: l.received, refused: l.refused }));
      cell(row, ago(l.last_sent));
      cell(row, l.last_error ? ago(l.last_error_at) : "—", l.last_error ?? "");
    }
  }
}
