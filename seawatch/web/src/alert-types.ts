// Shapes of the alert panel's routes (/api/alerts, /api/alerts/{id}/state, /api/me/profile), kept out of
// types.ts, which is generated from /openapi.json.
import type { SeaEvent } from "./types";

export type AlertStateName = "open" | "acknowledged" | "dismissed";

export interface AlertState {
  event_id: string;
  state: AlertStateName;
  reason?: string | null;
  by?: string | null;
  at?: number | null;
}

export interface VesselIdentity {
  mmsi: number;
  name?: string | null;
  callsign?: string | null;
  imo?: number | null;
  ship_type?: number | null;
}

export type AlertEvent = SeaEvent & {
  severity?: string;
  origin?: string | null;
  state?: AlertState;
  vessels?: VesselIdentity[];
};

export interface AlertsBody {
  alerts: AlertEvent[];
}

export interface ProfileBody {
  user: string;
  values: Record<string, unknown>;
}
