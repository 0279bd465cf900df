// WebSocket /api/live with reconnect and backoff; messages are {"kind": "track"|"event", "data": ...}.
import type { LiveMessage } from "./types";

export class LiveFeed {
  private socket: WebSocket | null = null;
  private retryMs = 1000;
  private stopped = false;
  onMessage: (m: LiveMessage) => void = () => {};
  onState: (state: "open" | "closed" | "connecting") => void = () => {};

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.socket?.close();
    this.socket = null;
  }

  private connect(): void {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    this.onState("connecting");
    const socket = new WebSocket(`${scheme}://${location.host}/api/live`);
    this.socket = socket;
    socket.onopen = () => {
      this.retryMs = 1000;
      this.onState("open");
    };
    socket.onmessage = (msg) => {
      try {
        const parsed = JSON.parse(String(msg.data)) as LiveMessage | LiveMessage[];
        for (const m of Array.isArray(parsed) ? parsed : [parsed]) this.onMessage(m);
      } catch (err) {
        console.warn("bad live message", err);
      }
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.onState("closed");
      if (this.stopped) return;
      setTimeout(() => this.connect(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 15000);
    };
  }
}
