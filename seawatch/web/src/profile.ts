// The signed-in user's settings, remembered by the node (GET/PUT /api/me/profile), so a watch officer
// finds the same filters on any workstation.
import { api } from "./api";

export class Profile {
  private values: Record<string, unknown> = {};

  async load(): Promise<void> {
    try {
      this.values = (await api.get("/api/me/profile")).values ?? {};
    } catch {
      this.values = {}; // an older node without profiles: defaults
    }
  }

  get<T>(key: string, fallback: T): T {
    return key in this.values ? (this.values[key] as T) : fallback;
  }

  async set(key: string, value: unknown): Promise<void> {
    this.values[key] = value;
    const saved = await api.put("/api/me/profile", { values: { [key]: value } });
    this.values = saved.values ?? this.values;
  }
}
