// Time slider: LIVE follows the feed; moving the slider replays the picture at a past time.
import { fmtDateTime, onLanguageChange, t } from "./i18n";
import { $, fromLocalInput, toLocalInput } from "./util";

const STEPS = 1440;
const PLAY_TICK_MS = 1000;
const PLAY_WINDOW_TICKS = 120; // playing crosses the whole window in two minutes

export class Timeline {
  private readonly slider = $("time-slider") as HTMLInputElement;
  private readonly endInput = $("time-end") as HTMLInputElement;
  private readonly span = $("time-span") as HTMLSelectElement;
  private readonly label = $("time-label");
  private readonly liveButton = $("time-live");
  private endMs = Date.now();
  private timer: number | undefined;
  private player: number | undefined;
  private readonly playButton = $("time-play");
  live = true;
  atMs: number | null = null;
  onReplay: (atMs: number) => void = () => {};
  onLive: () => void = () => {};

  constructor() {
    this.slider.max = String(STEPS);
    this.slider.addEventListener("input", () => this.scheduleReplay());
    this.slider.addEventListener("change", () => this.scheduleReplay(0));
    this.endInput.addEventListener("keydown", (e) => {
      if (e.key === "Enter") this.endInput.dispatchEvent(new Event("change"));
    });
    this.endInput.addEventListener("change", () => {
      const ms = fromLocalInput(this.endInput.value);
      this.endInput.classList.toggle("bad", ms === null);
      if (ms === null) return;
      this.endMs = ms;
      this.slider.value = String(STEPS);
      this.scheduleReplay(0);
    });
    this.span.addEventListener("change", () => this.scheduleReplay(0));
    this.liveButton.onclick = () => this.goLive();
    this.playButton.onclick = () => (this.player === undefined ? this.play() : this.pause());
    this.endInput.value = toLocalInput(this.endMs);
    this.label.textContent = t("time.live_label");
    onLanguageChange(() => {
      this.label.textContent = this.live || this.atMs === null ? t("time.live_label") : t("time.replay_at", { time: fmtDateTime(this.atMs) });
    });
  }

  private spanMs(): number {
    return Number(this.span.value) * 1000;
  }

  /** The picture time under the slider. */
  sliderTime(): number {
    return this.endMs - this.spanMs() + (Number(this.slider.value) / STEPS) * this.spanMs();
  }

  /** While live, the window follows the newest data time. */
  follow(latestMs: number): void {
    if (!this.live || !Number.isFinite(latestMs) || latestMs <= 0) return;
    this.endMs = latestMs;
    if (document.activeElement !== this.endInput) this.endInput.value = toLocalInput(latestMs);
    this.slider.value = String(STEPS);
  }

  /** Jump to a given time (e.g. an alert's start) in replay. */
  show(atMs: number): void {
    if (atMs > this.endMs || atMs < this.endMs - this.spanMs()) {
      this.endMs = atMs + this.spanMs() / 2;
      this.endInput.value = toLocalInput(this.endMs);
    }
    this.slider.value = String(Math.round(((atMs - (this.endMs - this.spanMs())) / this.spanMs()) * STEPS));
    this.scheduleReplay(0);
  }

  private scheduleReplay(delayMs = 250): void {
    const at = this.sliderTime();
    this.live = false;
    this.atMs = at;
    this.liveButton.classList.remove("active");
    document.body.dataset.mode = "replay";
    this.label.textContent = t("time.replay_at", { time: fmtDateTime(at) });
    this.label.dataset.at = new Date(at).toISOString();
    this.label.dataset.end = new Date(this.endMs).toISOString(); // the window's end (followed the live time)
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => this.onReplay(at), delayMs);
  }

  /** Replay forward from the slider's time; stops at the end of the window. */
  play(): void {
    if (Number(this.slider.value) >= STEPS) this.slider.value = "0";
    this.playButton.textContent = "❚❚";
    this.playButton.dataset.state = "playing";
    this.scheduleReplay(0);
    this.player = window.setInterval(() => {
      const next = Math.min(STEPS, Number(this.slider.value) + STEPS / PLAY_WINDOW_TICKS);
      this.slider.value = String(next);
      this.scheduleReplay(0);
      if (next >= STEPS) this.pause();
    }, PLAY_TICK_MS);
  }

  pause(): void {
    window.clearInterval(this.player);
    this.player = undefined;
    this.playButton.textContent = "▶";
    this.playButton.dataset.state = "paused";
  }

  goLive(): void {
    this.pause();
    window.clearTimeout(this.timer);
    this.live = true;
    this.atMs = null;
    this.liveButton.classList.add("active");
    document.body.dataset.mode = "live";
    this.label.textContent = t("time.live_label");
    delete this.label.dataset.at;
    this.slider.value = String(STEPS);
    this.onLive();
  }
}
