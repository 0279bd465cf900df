// Vessel search in the top bar: name, MMSI, call sign or IMO. Live tracks first (they can be centred on),
// then vessels the node knows from their static reports (GET /api/search/vessels).
import { api } from "./api";
import type { TrackProps } from "./types";
import { t } from "./i18n";
import { $, esc } from "./util";

interface Hit {
  mmsi?: number | null;
  name?: string | null;
  detail: string;
  trackId?: string;
}

export class VesselSearch {
  private readonly input = $("vessel-search") as HTMLInputElement;
  private readonly results = $("search-results") as HTMLUListElement;
  private timer = 0;
  /** Live tracks matching the text (name or MMSI). */
  liveMatches: (text: string) => TrackProps[] = () => [];
  onPick: (hit: { trackId?: string; mmsi?: number }) => void = () => {};

  constructor() {
    this.input.oninput = () => {
      window.clearTimeout(this.timer);
      this.timer = window.setTimeout(() => void this.run(), 200);
    };
    this.input.onkeydown = (k) => {
      if (k.key === "Escape") this.close();
      if (k.key === "Enter") (this.results.querySelector("li") as HTMLElement | null)?.click();
    };
    document.addEventListener("click", (ev) => {
      if (!(ev.target as HTMLElement).closest(".search")) this.close();
    });
  }

  private close(): void {
    this.results.hidden = true;
  }

  private async run(): Promise<void> {
    const text = this.input.value.trim();
    if (text.length < 2) return this.close();
    const hits: Hit[] = this.liveMatches(text).slice(0, 8).map((p) => ({
      mmsi: typeof p.mmsi === "number" ? p.mmsi : null, name: p.name ?? null, trackId: p.track_id, detail: t("search.live"),
    }));
    try {
      const known = await api.get("/api/search/vessels", { query: { q: text, limit: 10 } });
      for (const v of known.vessels) {
        if (hits.some((h) => h.mmsi === v.mmsi)) continue;
        hits.push({ mmsi: v.mmsi, name: v.name, detail: [v.callsign, v.imo ? `IMO ${v.imo}` : ""].filter(Boolean).join(" · ") || t("search.known") });
      }
    } catch {
      // live matches only
    }
    if (text !== this.input.value.trim()) return;
    this.results.replaceChildren();
    for (const h of hits) {
      const li = document.createElement("li");
      li.dataset.testid = "search-result";
      li.innerHTML = `<b>${esc(h.name || `MMSI ${h.mmsi ?? "?"}`)}</b> <span class="muted">${esc(h.mmsi ?? "")} ${esc(h.detail)}</span>`;
      li.onclick = () => {
        this.close();
        this.onPick({ trackId: h.trackId, mmsi: h.mmsi ?? undefined });
      };
      this.results.append(li);
    }
    if (!hits.length) this.results.innerHTML = `<li class="muted">${esc(t("search.none", { text }))}</li>`;
    this.results.hidden = false;
  }
}
