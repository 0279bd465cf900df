// One case beside the map: status and outcome, releasability, what it links, notes, a sighting for the
// case, files, the timeline, and the evidence pack for analysts. Its tracks, events and sightings are
// drawn on the map (GET /api/cases/{id}/map) in their own layer, fitted into view when the case opens (not
// on a live change of the open case: the map stays where the officer put it).
// Every word is the reader's language (`t`, keys "cases.*"), dates through Intl; on a language change
// the view is drawn again, keeping what the officer was typing.
import * as L from "leaflet";
import { api, ApiError } from "./api";
import { assetPicker, unlinkButtons } from "./case-links";
import type { CaseLink, CaseMap, CaseOut, CaseSummary, Problem } from "./generated/api";
import { fmtDateTime, onLanguageChange, t } from "./i18n";
import { problemText } from "./problem-text";
import { esc } from "./util";

const STATUSES = ["open", "monitoring", "interdiction", "closed"] as const;
const OUTCOMES = ["interdicted", "no_violation", "handed_over", "rescued", "lost_contact", "false_alarm", "other"] as const;
const TRACK_STYLE: L.PolylineOptions = { color: "#ff9f1c", weight: 3, opacity: 0.95, className: "case-track" };

function when(epochS: number): string {
  return fmtDateTime(epochS * 1000);
}

// i18n-keys: cases.status.open cases.status.monitoring cases.status.interdiction cases.status.closed
// i18n-keys: cases.outcome.interdicted cases.outcome.no_violation cases.outcome.handed_over cases.outcome.rescued
// i18n-keys: cases.outcome.lost_contact cases.outcome.false_alarm cases.outcome.other
// i18n-keys: cases.kind.track cases.kind.event cases.kind.sighting cases.kind.asset cases.kind.vessel
// i18n-keys: cases.action.open cases.action.update cases.action.link cases.action.unlink cases.action.note cases.action.attach
// i18n-keys: cases.from.alert cases.from.track cases.from.vessel cases.from.manual
// i18n-keys: cases.field.status cases.field.outcome cases.field.title cases.field.summary cases.field.releasable_to
/** A word of a group ("cases.kind", "track"): the code itself when the catalogue has none (a newer node's). */
function word(group: string, code: string): string {
  return t(`${group}.${code}`, { defaultValue: code });
}

/** A link's label in the reader's words: the node writes an event's as "<type in words>: <who>" and a
 * nameless track's as "track <id>" (cases/service.py, English from codes); the code part is said again
 * here, the rest (names, MMSI, ids) is data. */
function linkLabel(l: CaseLink): string {
  const label = l.label ?? l.ref;
  const event = /^([a-z][a-z ]*): (.*)$/s.exec(label);
  if (l.kind === "event" && event) {
    const words = t(`event.${event[1].replace(/ /g, "_")}`, { defaultValue: "" });
    if (words) return `${words}: ${event[2]}`;
  }
  const track = /^track (\S+)$/.exec(label);
  if (l.kind === "track" && track) return t("who.track", { id: track[1] });
  return label;
}

export class CaseView {
  private readonly panel: HTMLElement;
  private readonly layer: L.FeatureGroup;
  private picking = false;
  private pickMarker: L.CircleMarker | null = null;
  private current: CaseOut | null = null;
  onChanged: (c: CaseSummary) => void = () => {};
  /** Open the case's chat room (the chat panel); unset: no button. */
  onChat: ((caseId: string) => void) | null = null;

  constructor(private readonly map: L.Map, host: HTMLElement, private readonly canEdit: boolean, private readonly canExport: boolean) {
    this.panel = document.createElement("section");
    this.panel.className = "panel case-view";
    this.panel.dataset.testid = "case-view";
    this.panel.hidden = true;
    host.insertBefore(this.panel, host.querySelector("#dossier")); // under the alerts, above the dossier
    this.layer = L.featureGroup().addTo(map);
    map.on("click", (e: L.LeafletMouseEvent) => {
      if (!this.picking) return;
      this.picking = false;
      document.body.dataset.picking = "";
      this.setPick(e.latlng.lat, e.latlng.lng);
    });
    onLanguageChange(() => this.retranslate());
  }

  /** The open case again in the new language: typed text, open folds and the error line stay. */
  private retranslate(): void {
    if (!this.current || this.panel.hidden) return;
    this.redraw(this.current, "input:not([type=file]), textarea");
    void this.draw(false); // the map's tooltips
  }

  /** Draw `c` again over the same case keeping what the officer is in the middle of: the text typed in
   * `typedIn` (e.g. a note not sent yet), the open folds, the scroll and the error line. */
  private redraw(c: CaseOut, typedIn: string): void {
    const typed = [...this.panel.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>(typedIn)]
      .map((el) => [el.dataset.testid ?? "", el.value] as const);
    const folds = [...this.panel.querySelectorAll<HTMLDetailsElement>("details[open]")].map((d) => d.dataset.testid ?? "");
    const scroll = this.panel.scrollTop;
    const error = this.panel.querySelector("[data-testid=case-error]")?.textContent ?? "";
    this.render(c);
    const box = this.panel.querySelector("[data-testid=case-error]");
    if (box) box.textContent = error; // the node's reason, as it gave it
    for (const [id, value] of typed) {
      const el = this.panel.querySelector<HTMLInputElement>(`[data-testid="${id}"]`);
      if (el && id) el.value = value;
    }
    for (const id of folds) {
      const fold = this.panel.querySelector<HTMLDetailsElement>(`details[data-testid="${id}"]`);
      if (fold) fold.open = true;
    }
    this.panel.scrollTop = scroll;
  }

  get caseId(): string | null {
    return this.current?.id ?? null;
  }

  close(): void {
    this.current = null;
    this.panel.hidden = true;
    this.layer.clearLayers();
    this.pickMarker?.remove();
  }

  async show(id: string): Promise<void> {
    const c = await api.get("/api/cases/{case_id}", { path: { case_id: id } });
    // the same case changed (by another officer, or our own change heard live): a note or sighting being
    // written stays
    if (this.current?.id === id && c.version < this.current.version) return; // an answer older than what is shown
    // fitted into view only when the case is opened (another case, or the panel was closed): a live change
    // of the open case (a note, a link, a partner's update) redraws it where the officer is looking
    const opening = this.current?.id !== id || Boolean(this.panel.hidden);
    if (opening) this.render(c);
    else this.redraw(c, "form input, form textarea");
    await this.draw(opening);
  }

  /** Reload when the list heard of a newer version than the one shown. */
  async refresh(version: number): Promise<void> {
    if (!this.current || version <= this.current.version) return;
    await this.show(this.current.id);
  }

  private async draw(fit: boolean): Promise<void> {
    if (!this.current) return;
    const id = this.current.id;
    let features: CaseMap["features"] = [];
    try {
      features = (await api.get("/api/cases/{case_id}/map", { path: { case_id: id } })).features;
    } catch {
      features = [];
    }
    if (this.current?.id !== id) return;
    this.layer.clearLayers();
    for (const f of features) {
      const p = f.properties;
      const geom = f.geometry as { type: string; coordinates: number[] | number[][] };
      if (geom.type === "LineString") {
        const points = (geom.coordinates as number[][]).map(([lon, lat]): [number, number] => [lat, lon]);
        L.polyline(points, TRACK_STYLE).bindTooltip(`${p.ref}${p.mmsi ? ` · MMSI ${p.mmsi}` : ""}`).addTo(this.layer);
        L.circleMarker(points[points.length - 1], { radius: 4, color: "#ff9f1c", fillOpacity: 1, className: "case-track-end" }).addTo(this.layer);
      } else {
        const [lon, lat] = geom.coordinates as number[];
        const cls = p.kind === "event" ? "case-event" : "case-sighting";
        const color = p.kind === "event" ? "#ff3b3b" : "#ffe14d";
        L.circleMarker([lat, lon], { radius: 7, color, weight: 2, fillOpacity: 0.25, className: cls })
          .bindTooltip(`${word("cases.kind", p.kind)}: ${p.label ?? p.ref} · ${fmtDateTime(Date.parse(p.start))}`)
          .addTo(this.layer);
      }
    }
    this.panel.dataset.drawn = String(features.length);
    const bounds = this.layer.getBounds();
    if (fit && bounds.isValid()) this.map.fitBounds(bounds.pad(0.3), { maxZoom: 11, animate: false });
  }

  private render(c: CaseOut): void {
    this.current = c;
    this.panel.hidden = false;
    this.panel.dataset.caseId = c.id;
    this.panel.dataset.status = c.status;
    this.panel.dataset.version = String(c.version);
    const edit = this.canEdit;
    const off = edit ? "" : " disabled";
    const statusSelect = `<select data-testid="case-status"${off}>`
      + STATUSES.map((s) => `<option value="${s}"${s === c.status ? " selected" : ""}>${esc(word("cases.status", s))}</option>`).join("")
      + `</select>`;
    const outcomeSelect = `<select data-testid="case-outcome"${off}><option value="">${esc(t("cases.choose"))}</option>`
      + OUTCOMES.map((o) => `<option value="${o}"${o === c.outcome ? " selected" : ""}>${esc(word("cases.outcome", o))}</option>`).join("")
      + `</select>`;
    const links = c.links.map((l) => `<li data-testid="case-link" data-kind="${esc(l.kind)}" data-ref="${esc(l.ref)}">`
      + `<span class="case-kind">${esc(word("cases.kind", l.kind))}</span> <span class="case-link-label">${esc(linkLabel(l))}</span></li>`).join("");
    const notes = c.notes.map((n) => `<li data-testid="case-note"><div class="case-when">${esc(n.author)} · ${esc(when(n.t))}</div>`
      + `<div class="case-note-text">${esc(n.text)}</div></li>`).join("");
    const files = c.attachments.map((a) => `<li data-testid="case-file"><a href="/api/cases/${encodeURIComponent(c.id)}/attachments/`
      + `${encodeURIComponent(a.id)}" download>${esc(a.name)}</a> <span class="muted">`
      + `${esc(t("cases.size_kb", { n: Math.ceil(a.size / 1024) }))}</span></li>`).join("");
    const timeline = [...c.timeline].reverse().map((e) => `<li data-testid="case-event" data-action="${esc(e.action)}">`
      + `<span class="case-when">${esc(when(e.t))}</span> <b>${esc(e.actor)}</b> ${esc(word("cases.action", e.action))} `
      + `<span class="muted">${esc(this.detailText(e.details))}</span></li>`).join("");
    const partners = c.releasable_to.join(", ");
    const h3 = (key: string) => `<h3>${esc(t(key))}</h3>`;
    const button = (key: string, attrs: string) => `<button ${attrs}>${esc(t(key))}</button>`;
    this.panel.innerHTML = `<h2><span class="grow case-view-title" data-testid="case-title">${esc(c.title)}</span>`
      + (this.onChat ? button("chat.title", `class="small ghost" data-testid="case-chat"`) : "")
      + `<button class="small ghost" data-testid="case-close" aria-label="${esc(t("cases.close"))}" title="${esc(t("cases.close"))}">✕</button></h2>`
      + `<p class="muted case-origin">${esc(t("cases.opened_by", { who: c.created_by, when: when(c.created_at) }))} `
      + `${esc(word("cases.from", c.opened_from))} · <span data-testid="case-id">${esc(c.id)}</span></p>`
      + `<div class="row case-fields"><label>${esc(t("cases.field.status"))} ${statusSelect}</label>`
      + `<label>${esc(t("cases.field.outcome"))} ${outcomeSelect}</label></div>`
      + `<label class="case-partners">${esc(t("cases.field.releasable_to"))} <input data-testid="case-releasable" value="${esc(partners)}"`
      + ` placeholder="${esc(t("cases.releasable.none"))}" title="${esc(t("cases.releasable.hint"))}"${off}></label>`
      + `<p class="error" data-testid="case-error" role="alert"></p>`
      + h3("cases.links") + `<ul class="list compact case-links" data-testid="case-links">${links}</ul>`
      + h3("cases.notes") + `<ul class="list compact case-notes" data-testid="case-notes">${notes}</ul>`
      + (edit ? `<form class="case-note-form" data-testid="case-note-form"><textarea rows="2" maxlength="4000" required`
        + ` data-testid="case-note" placeholder="${esc(t("cases.note.placeholder"))}"></textarea>`
        + button("cases.note.add", `type="submit" class="small"`) + `</form>`
        + `<details class="fold" data-testid="case-sighting-fold"><summary>${esc(t("cases.sighting.report"))}</summary>`
        + `<form class="case-sighting-form" data-testid="case-sighting-form"><div class="row">`
        + `<input data-testid="case-sighting-lat" type="number" step="any" min="-90" max="90" required placeholder="${esc(t("sighting.lat"))}">`
        + `<input data-testid="case-sighting-lon" type="number" step="any" min="-180" max="180" required placeholder="${esc(t("sighting.lon"))}"></div>`
        + button("sighting.pick", `type="button" class="small ghost" data-testid="case-sighting-pick"`)
        + `<input data-testid="case-sighting-notes" maxlength="2000" placeholder="${esc(t("cases.sighting.notes"))}">`
        + button("cases.sighting.add", `type="submit" class="small"`) + `</form></details>` : "")
      + h3("cases.files") + `<ul class="list compact" data-testid="case-files">${files}</ul>`
      + (edit ? `<label class="case-file-add">${esc(t("cases.file.add"))} <input type="file" data-testid="case-file-input"`
        + ` accept="image/jpeg,image/png,application/pdf,text/plain,text/csv,.geojson,.kml"></label>` : "")
      + (this.canExport ? `<a class="case-evidence" data-testid="case-evidence" href="/api/cases/${encodeURIComponent(c.id)}/evidence"`
        + ` download>${esc(t("cases.evidence"))}</a>` : "")
      + h3("cases.timeline") + `<ul class="list compact case-timeline" data-testid="case-timeline">${timeline}</ul>`;
    this.wire(c);
  }

  /** What an entry of the timeline changed, in the reader's words (the case's own text as written). */
  private detailText(details: Record<string, unknown>): string {
    const changed = details.changed as Record<string, [unknown, unknown]> | undefined;
    if (changed) {
      return Object.entries(changed).map(([field, [was, now]]) => `${word("cases.field", field)}: `
        + `${this.value(field, was)} → ${this.value(field, now)}`).join("; ");
    }
    const links = details.links as [string, string][] | undefined;
    if (links) return links.map(([k, r]) => `${word("cases.kind", k)} ${r}`).join(", ");
    if (typeof details.text === "string") return details.text.length > 80 ? `${details.text.slice(0, 80)}…` : details.text;
    if (typeof details.name === "string") return details.name;
    if (typeof details.kind === "string" && typeof details.ref === "string") return `${word("cases.kind", details.kind)} ${details.ref}`;
    return "";
  }

  /** A changed field's value: a status or outcome by its name in the reader's language. */
  private value(field: string, value: unknown): string {
    if (value === null || value === undefined || value === "" || (Array.isArray(value) && !value.length)) return t("cases.no_value");
    if ((field === "status" || field === "outcome") && typeof value === "string") return word(`cases.${field}`, value);
    if (Array.isArray(value)) return value.join(", ");
    return typeof value === "string" ? `“${value}”` : JSON.stringify(value);
  }

  private wire(c: CaseOut): void {
    const q = <T extends HTMLElement>(id: string) => this.panel.querySelector<T>(`[data-testid=${id}]`);
    q<HTMLButtonElement>("case-close")?.addEventListener("click", () => this.close());
    q<HTMLButtonElement>("case-chat")?.addEventListener("click", () => this.onChat?.(c.id));
    this.panel.querySelectorAll<HTMLLIElement>("[data-testid=case-link]").forEach((li) => {
      li.onclick = () => this.focus(li.dataset.ref ?? "");
    });
    if (!this.canEdit) return;
    const links = q<HTMLUListElement>("case-links");
    if (links) {
      const path = { case_id: c.id };
      unlinkButtons(links, (kind, ref) => void this.act(() => api.del("/api/cases/{case_id}/links/{kind}/{ref}", { path: { ...path, kind, ref } })));
      const assets = new Set(c.links.filter((l) => l.kind === "asset").map((l) => l.ref));
      void assetPicker(links, assets, (ref) => void this.act(() => api.post("/api/cases/{case_id}/links", { kind: "asset", ref }, { path })));
    }
    const status = q<HTMLSelectElement>("case-status");
    const outcome = q<HTMLSelectElement>("case-outcome");
    const save = () => void this.patch({ status: status?.value as CaseOut["status"], outcome: (outcome?.value || null) as CaseOut["outcome"] });
    if (status) status.onchange = save;
    if (outcome) outcome.onchange = save;
    const partners = q<HTMLInputElement>("case-releasable");
    if (partners) {
      partners.onchange = () => void this.patch({
        releasable_to: partners.value.split(",").map((p) => p.trim()).filter((p) => p),
      });
    }
    const noteForm = q<HTMLFormElement>("case-note-form");
    if (noteForm) {
      noteForm.onsubmit = (e) => {
        e.preventDefault();
        const text = (q<HTMLTextAreaElement>("case-note")?.value ?? "").trim();
        if (text) void this.act(() => api.post("/api/cases/{case_id}/notes", { text }, { path: { case_id: c.id } }));
      };
    }
    const sightingForm = q<HTMLFormElement>("case-sighting-form");
    q<HTMLButtonElement>("case-sighting-pick")?.addEventListener("click", () => {
      this.picking = true;
      document.body.dataset.picking = "1";
    });
    if (sightingForm) {
      sightingForm.onsubmit = (e) => {
        e.preventDefault();
        const lat = Number(q<HTMLInputElement>("case-sighting-lat")?.value);
        const lon = Number(q<HTMLInputElement>("case-sighting-lon")?.value);
        const notes = q<HTMLInputElement>("case-sighting-notes")?.value.trim() || null;
        void this.act(() => api.post("/api/cases/{case_id}/sightings", { lat, lon, notes }, { path: { case_id: c.id } }));
      };
    }
    const file = q<HTMLInputElement>("case-file-input");
    if (file) file.onchange = () => void this.upload(c.id, file.files?.[0]);
  }

  private setPick(lat: number, lon: number): void {
    const latInput = this.panel.querySelector<HTMLInputElement>("[data-testid=case-sighting-lat]");
    const lonInput = this.panel.querySelector<HTMLInputElement>("[data-testid=case-sighting-lon]");
    if (latInput) latInput.value = lat.toFixed(5);
    if (lonInput) lonInput.value = lon.toFixed(5);
    this.pickMarker?.remove();
    this.pickMarker = L.circleMarker([lat, lon], { radius: 7, color: "#ffe14d", weight: 2, fillOpacity: 0.2, interactive: false }).addTo(this.map);
  }

  /** Bring a linked item into view (its line or point on the map). */
  private focus(ref: string): void {
    this.layer.eachLayer((layer) => {
      const tip = (layer as L.Path).getTooltip?.()?.getContent();
      if (typeof tip === "string" && tip.includes(ref) && "getBounds" in layer) {
        this.map.fitBounds((layer as L.Polyline).getBounds().pad(0.3), { maxZoom: 12 });
      } else if (typeof tip === "string" && tip.includes(ref) && "getLatLng" in layer) {
        this.map.setView((layer as L.CircleMarker).getLatLng(), Math.max(this.map.getZoom(), 10));
      }
    });
  }

  /** Change the case's fields, made on the version shown: if anyone changed the case since, the node
   * refuses it (409 stale_version) and `act` shows the case as it is now. */
  private async patch(body: Record<string, unknown>): Promise<void> {
    const shown = this.current;
    if (!shown) return;
    const path = { case_id: shown.id };
    await this.act(() => api.patch("/api/cases/{case_id}", { ...body, version: shown.version }, { path }));
  }

  /** After a stale_version refusal: the case as the node keeps it now, what the officer typed kept. */
  private async reloadStale(): Promise<void> {
    const id = this.current?.id;
    if (!id) return;
    try {
      const fresh = await api.get("/api/cases/{case_id}", { path: { case_id: id } });
      if (this.current?.id !== id) return;
      this.redraw(fresh, "input:not([type=file]), textarea");
      this.onChanged(fresh);
      await this.draw(false);
    } catch {
      if (this.current?.id === id) this.render(this.current);
    }
  }

  /** Send a change; show the case as the node answers it, or say why it was refused. */
  private async act(send: () => Promise<CaseOut>): Promise<void> {
    try {
      const saved = await send();
      this.pickMarker?.remove();
      this.render(saved);
      this.onChanged(saved);
      await this.draw(false);
    } catch (err) {
      const stale = err instanceof ApiError && err.status === 409 && err.problem.errors?.[0]?.type === "stale_version";
      if (stale) await this.reloadStale(); // changed meanwhile by someone else: shown as it is now
      else if (this.current) this.render(this.current); // the fields back to what the node keeps
      const box = this.panel.querySelector("[data-testid=case-error]");
      if (box) box.textContent = t("cases.not_saved", { reason: problemText(err, err instanceof ApiError ? err.message : String(err)) });
    }
  }

  private async upload(id: string, file: File | undefined): Promise<void> {
    if (!file) return;
    const type = file.type || (file.name.endsWith(".geojson") ? "application/geo+json"
      : file.name.endsWith(".kml") ? "application/vnd.google-earth.kml+xml" : "application/octet-stream");
    await this.act(async () => {
      const response = await fetch(`/api/cases/${encodeURIComponent(id)}/attachments?name=${encodeURIComponent(file.name)}`, {
        method: "POST", credentials: "same-origin", headers: { "Content-Type": type }, body: file,
      });
      if (!response.ok) {
        const problem = await response.json().catch(() => ({})) as Partial<Problem>;
        throw new ApiError(response.status, problem.detail ?? `HTTP ${response.status}`, problem);
      }
      return api.get("/api/cases/{case_id}", { path: { case_id: id } });
    });
  }
}
