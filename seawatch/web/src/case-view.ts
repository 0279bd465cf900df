// One case beside the map: status and outcome, releasability, what it links, notes, a sighting for the
// case, files, the timeline, and the evidence pack for analysts. Its tracks, events and sightings are
// drawn on the map (GET /api/cases/{id}/map) in their own layer, fitted into view when the case opens.
import * as L from "leaflet";
import { api, ApiError } from "./api";
import { assetPicker, unlinkButtons } from "./case-links";
import { label } from "./cases-text";
import type { CaseOut, CaseMap, CaseSummary } from "./generated/api";
import { esc, isoMinute } from "./util";

const STATUSES = ["open", "monitoring", "interdiction", "closed"] as const;
const OUTCOMES = ["interdicted", "no_violation", "handed_over", "rescued", "lost_contact", "false_alarm", "other"] as const;
const TRACK_STYLE: L.PolylineOptions = { color: "#ff9f1c", weight: 3, opacity: 0.95, className: "case-track" };

function when(epochS: number): string {
  return isoMinute(epochS * 1000);
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
    this.render(c);
    await this.draw(true);
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
          .bindTooltip(`${label(`cases.kind.${p.kind}`)}: ${p.label ?? p.ref} · ${p.start.replace("T", " ")}`)
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
    const statusSelect = `<select data-testid="case-status"${edit ? "" : " disabled"}>`
      + STATUSES.map((s) => `<option value="${s}"${s === c.status ? " selected" : ""}>${esc(label(`cases.status.${s}`))}</option>`).join("")
      + `</select>`;
    const outcomeSelect = `<select data-testid="case-outcome"${edit ? "" : " disabled"}><option value="">${esc(label("cases.outcome.none"))}</option>`
      + OUTCOMES.map((o) => `<option value="${o}"${o === c.outcome ? " selected" : ""}>${esc(label(`cases.outcome.${o}`))}</option>`).join("")
      + `</select>`;
    const links = c.links.map((l) => `<li data-testid="case-link" data-kind="${esc(l.kind)}" data-ref="${esc(l.ref)}">`
      + `<span class="case-kind">${esc(label(`cases.kind.${l.kind}`))}</span> ${esc(l.label ?? l.ref)}</li>`).join("");
    const notes = c.notes.map((n) => `<li data-testid="case-note"><div class="case-when">${esc(n.author)} · ${esc(when(n.t))}</div>`
      + `<div class="case-note-text">${esc(n.text)}</div></li>`).join("");
    const files = c.attachments.map((a) => `<li data-testid="case-file"><a href="/api/cases/${encodeURIComponent(c.id)}/attachments/`
      + `${encodeURIComponent(a.id)}" download>${esc(a.name)}</a> <span class="muted">${Math.ceil(a.size / 1024)} KB</span></li>`).join("");
    const timeline = [...c.timeline].reverse().map((e) => `<li data-testid="case-event" data-action="${esc(e.action)}">`
      + `<span class="case-when">${esc(when(e.t))}</span> <b>${esc(e.actor)}</b> ${esc(label(`cases.action.${e.action}`))} `
      + `<span class="muted">${esc(this.detailText(e.details))}</span></li>`).join("");
    const partners = c.releasable_to.join(", ");
    this.panel.innerHTML = `<h2><span class="grow case-view-title" data-testid="case-title">${esc(c.title)}</span>`
      + (this.onChat ? `<button class="small ghost" data-testid="case-chat">${esc(label("cases.chat"))}</button>` : "")
      + `<button class="small ghost" data-testid="case-close" aria-label="${esc(label("cases.close"))}">✕</button></h2>`
      + `<p class="muted case-origin">${esc(label("cases.opened_by", { who: c.created_by, when: when(c.created_at) }))} `
      + `${esc(label(`cases.from.${c.opened_from}`))} · <span data-testid="case-id">${esc(c.id)}</span></p>`
      + `<div class="row"><label>${esc(label("cases.status"))} ${statusSelect}</label>`
      + `<label>${esc(label("cases.outcome"))} ${outcomeSelect}</label></div>`
      + `<label>${esc(label("cases.releasable"))} <input data-testid="case-releasable" value="${esc(partners)}"`
      + ` placeholder="${esc(label("cases.releasable.none"))}" title="${esc(label("cases.releasable.hint"))}"${edit ? "" : " disabled"}></label>`
      + `<p class="error" data-testid="case-error" role="alert"></p>`
      + `<h3>${esc(label("cases.links"))}</h3><ul class="list compact case-links" data-testid="case-links">${links}</ul>`
      + `<h3>${esc(label("cases.notes"))}</h3><ul class="list compact case-notes" data-testid="case-notes">${notes}</ul>`
      + (edit ? `<form class="case-note-form" data-testid="case-note-form"><textarea rows="2" maxlength="4000" required`
        + ` data-testid="case-note" placeholder="${esc(label("cases.note.placeholder"))}"></textarea>`
        + `<button type="submit" class="small">${esc(label("cases.note.add"))}</button></form>`
        + `<details class="fold" data-testid="case-sighting-fold"><summary>${esc(label("cases.sighting"))}</summary>`
        + `<form class="case-sighting-form" data-testid="case-sighting-form"><div class="row">`
        + `<input data-testid="case-sighting-lat" type="number" step="any" min="-90" max="90" required placeholder="lat">`
        + `<input data-testid="case-sighting-lon" type="number" step="any" min="-180" max="180" required placeholder="lon"></div>`
        + `<button type="button" class="small ghost" data-testid="case-sighting-pick">${esc(label("cases.sighting.pick"))}</button>`
        + `<input data-testid="case-sighting-notes" maxlength="2000" placeholder="${esc(label("cases.note.placeholder"))}">`
        + `<button type="submit" class="small">${esc(label("cases.sighting.add"))}</button></form></details>` : "")
      + `<h3>${esc(label("cases.files"))}</h3><ul class="list compact" data-testid="case-files">${files}</ul>`
      + (edit ? `<label class="case-file-add">${esc(label("cases.file.add"))} <input type="file" data-testid="case-file-input"`
        + ` accept="image/jpeg,image/png,application/pdf,text/plain,text/csv,.geojson,.kml"></label>` : "")
      + (this.canExport ? `<a class="case-evidence" data-testid="case-evidence" href="/api/cases/${encodeURIComponent(c.id)}/evidence"`
        + ` download>${esc(label("cases.evidence"))}</a>` : "")
      + `<h3>${esc(label("cases.timeline"))}</h3><ul class="list compact case-timeline" data-testid="case-timeline">${timeline}</ul>`;
    this.wire(c);
  }

  private detailText(details: Record<string, unknown>): string {
    const changed = details.changed as Record<string, [unknown, unknown]> | undefined;
    if (changed) return Object.entries(changed).map(([k, [a, b]]) => `${k}: ${JSON.stringify(a)} → ${JSON.stringify(b)}`).join("; ");
    const links = details.links as [string, string][] | undefined;
    if (links) return links.map(([k, r]) => `${label(`cases.kind.${k}`)} ${r}`).join(", ");
    if (typeof details.text === "string") return details.text.length > 80 ? `${details.text.slice(0, 80)}…` : details.text;
    if (typeof details.name === "string") return details.name;
    if (typeof details.origin_change === "string") return label(`cases.action.${details.origin_change}`); // a partner's case
    if (typeof details.kind === "string" && typeof details.ref === "string") return `${label(`cases.kind.${details.kind}`)} ${details.ref}`;
    return "";
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

  private async patch(body: Record<string, unknown>): Promise<void> {
    const id = this.current?.id;
    if (!id) return;
    await this.act(() => api.patch("/api/cases/{case_id}", body, { path: { case_id: id } }));
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
      if (this.current) this.render(this.current); // the fields back to what the node keeps
      const box = this.panel.querySelector("[data-testid=case-error]");
      if (box) box.textContent = label("cases.not_saved", { reason: err instanceof ApiError ? err.message : String(err) });
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
        const problem = await response.json().catch(() => ({})) as { detail?: string };
        throw new ApiError(response.status, problem.detail ?? `HTTP ${response.status}`);
      }
      return api.get("/api/cases/{case_id}", { path: { case_id: id } });
    });
  }
}
