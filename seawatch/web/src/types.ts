// Shapes exchanged with the node: generated from its /openapi.json (generated/api.ts, `npm run gen`),
// never written by hand. Change the response models in seawatch/api/models.py instead.
import type * as Api from "./generated/api";

export type TrackProps = Api.TrackProperties;
export type TrackFeature = Api.TrackFeature;
export type TrackCollection = Api.TrackCollection;
export type SeaEvent = Api.SeaEvent;
export type EventType = Api.EventType;
export type EventDetails = Api.EventDetails;
export type ZoneFeature = Api.ZoneFeature;
export type ZoneCollection = Api.ZoneCollection;
export type LiveMessage = Api.LiveMessage;
export type Me = Api.Me;
export type Role = Api.Role;
export type Sighting = Api.Sighting;
export type VesselDossier = Api.VesselDossier;
export type HistoryFeature = Api.HistoryFeature;
export type Problem = Api.Problem;

/** The node's roles, lowest first (from the schema). */
export { roleValues as ROLES, eventTypeValues as EVENT_TYPES } from "./generated/api";
