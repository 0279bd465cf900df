// The status badge says what the officer is looking at: LIVE (feeds arriving), STALE (connected or not,
// no new data for a while: the picture is old), OFFLINE (no link to the node) or REPLAY (a past time),
// always with the time of the data shown.
import "./status.css";
import { fmtDateTime, t } from "./i18n";
import { $ } from "./util";

/** No new track over the link for this long (wall clock): the feeds have stopped. `?staleAfterS=N` in the
 * page's address overrides it (a quiet coastal node may set a longer one; tests a shorter one). */
const staleParam = Number(new URLSearchParams(location.search).get("staleAfterS"));
export const STALE_AFTER_MS = staleParam > 0 ? staleParam * 1000 : 90_000;

export type LinkState = "open" | "closed" | "connecting";

export class StatusBadge {
  private readonly el = $("status-link");
  private readonly detail = $("status-detail");
  private link: LinkState = "connecting";
  private lastArrivalMs = 0; // wall clock of the last live track message
  private replayAtMs: number | null = null;

  setLink(state: LinkState): void {
    this.link = state;
    this.el.dataset.state = state; // the link itself (tests and styles read it)
    this.render(0);
  }

  /** A live track arrived (wall clock now). */
  noteData(): void {
    this.lastArrivalMs = Date.now();
  }

  setReplay(atMs: number | null): void {
    this.replayAtMs = atMs;
    this.render(0);
  }

  /** Called every second with the newest data time of the live picture. */
  render(latestDataMs: number): void {
    const now = Date.now();
    let mode: "live" | "stale" | "offline" | "replay";
    if (this.replayAtMs !== null) mode = "replay";
    else if (this.link !== "open") mode = "offline";
    else if (!this.lastArrivalMs || now - this.lastArrivalMs > STALE_AFTER_MS) mode = "stale";
    else mode = "live";
    this.el.dataset.mode = mode;
    // i18n-keys: status.live status.stale status.offline status.replay
    this.el.textContent = mode === "offline" && this.link === "connecting" ? t("status.connecting") : t(`status.${mode}`);
    // the clock beside the badge shows the data time; when the feeds stop, one short word beside the badge
    // says when (hh:mm UTC) the last data was, and the full sentence (how long ago, date and time) is its tooltip
    const ago = this.lastArrivalMs ? `${Math.max(1, Math.round((now - this.lastArrivalMs) / 60000))} ${t("unit.min")}` : "";
    const last = latestDataMs ? ` · ${t("status.last_data", { time: fmtDateTime(latestDataMs, { seconds: true }) })}` : "";
    const quiet = mode === "stale" || mode === "offline";
    const full = quiet ? `${ago ? t("status.no_data_for", { ago }) : t("status.no_data")}${last}` : "";
    this.detail.textContent = quiet ? (latestDataMs ? `${new Date(latestDataMs).toISOString().slice(11, 16)} UTC` : t("status.no_data")) : "";
    this.detail.title = full;
    this.el.title = mode === "stale" ? `${t("status.stale_hint")} — ${full}` : full;
  }
}
