// Shapes of the alert panel's routes (/api/alerts, /api/alerts/{id}/state, /api/me/profile): the generated
// types (generated/api.ts, from /openapi.json) under the panel's names.
import type * as Api from "./generated/api";
import type { SeaEvent } from "./types";

export type AlertState = Api.AlertStateOut;
export type AlertStateName = AlertState["state"];
export type VesselIdentity = Api.VesselName;
/** An alert from /api/alerts, or a live event not yet given its state and names. */
export type AlertEvent = SeaEvent & { state?: AlertState; vessels?: VesselIdentity[] };
export type AlertsBody = Api.AlertsOut;
export type ProfileBody = Api.ProfileOut;
