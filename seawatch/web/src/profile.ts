// The signed-in user's settings, kept by the node (GET/PUT /api/me/profile) so a watch officer finds the
// same language, alert filter, filters, map view and layers on any workstation. Loaded at sign-in; changes
// are saved after a short pause (a map pan is one save, not fifty), and at once when the page is left.
import { api } from "./api";

const SAVE_AFTER_MS = 800;

export class Profile {
  private values: Record<string, unknown> = {};
  private pending: Record<string, unknown> = {};
  private timer: number | undefined;
  private flushing: Promise<void> = Promise.resolve();
  /** A save the node refused (e.g. a value out of range): the page says so. */
  onError: (message: string) => void = () => {};

  async load(): Promise<void> {
    try {
      this.values = (await api.get("/api/me/profile")).values ?? {};
    } catch {
      this.values = {}; // an older node without profiles: defaults
    }
    window.addEventListener("pagehide", () => this.flushOnLeave());
  }

  get<T>(key: string, fallback: T): T {
    return key in this.values ? (this.values[key] as T) : fallback;
  }

  /** Remember `value` under `key` (null removes it); saved to the node after a short pause. */
  set(key: string, value: unknown): Promise<void> {
    this.values[key] = value;
    this.pending[key] = value;
    window.clearTimeout(this.timer);
    return new Promise((resolve) => {
      this.timer = window.setTimeout(() => resolve(this.flush()), SAVE_AFTER_MS);
    });
  }

  /** Send what waits now (one PUT with every changed key). */
  flush(): Promise<void> {
    window.clearTimeout(this.timer);
    const body = this.pending;
    this.pending = {};
    if (!Object.keys(body).length) return this.flushing;
    this.flushing = this.flushing.then(async () => {
      try {
        const saved = await api.put("/api/me/profile", { values: body });
        this.values = { ...(saved.values ?? {}), ...this.pending };
        document.body.dataset.profileSaved = String(Date.now()); // tests wait on it
      } catch (err) {
        this.onError((err as Error).message);
      }
    });
    return this.flushing;
  }

  private flushOnLeave(): void {
    if (!Object.keys(this.pending).length) return;
    const body = JSON.stringify({ values: this.pending });
    this.pending = {};
    void fetch("/api/me/profile", {
      method: "PUT", credentials: "same-origin", keepalive: true,
      headers: { "Content-Type": "application/json", Accept: "application/json" }, body,
    }).catch(() => undefined);
  }
}
