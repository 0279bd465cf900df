// Shapes exchanged with the node (docs/INTERFACES.md). Optional fields are read defensively.
import type { Feature, FeatureCollection, Point, Polygon, MultiPolygon } from "geojson";

export interface TrackProps {
  track_id: string;
  mmsi?: number | null;
  name?: string | null;
  ship_type?: number | string | null;
  sources?: string[];
  sensors?: string[];
  nodes?: string[];
  dark?: boolean;
  sog_kn?: number | null;
  cog_deg?: number | null;
  heading_deg?: number | null;
  time?: string | null;
  [key: string]: unknown;
}

export type TrackFeature = Feature<Point, TrackProps>;
export type TrackCollection = FeatureCollection<Point, TrackProps>;

export interface SeaEvent {
  id: string;
  type: string;
  mmsi: number[];
  start: string;
  end: string;
  lat: number;
  lon: number;
  details?: Record<string, unknown>;
  params?: Record<string, unknown>;
  track_ids?: string[];
}

export interface ZoneProps {
  id?: string | number;
  zone_id?: string | number;
  name?: string;
  kind?: string;
  [key: string]: unknown;
}

export type ZoneFeature = Feature<Polygon | MultiPolygon, ZoneProps> & { id?: string | number };

export interface LiveMessage {
  kind: string;
  data: unknown;
}

export interface Me {
  username?: string;
  name?: string;
  role?: string;
  roles?: string[];
}
