// Threat colours, reserved: no ship-type colour comes near them (symbols.ts), so a dark target, a go-fast
// or a vessel with an open alert is never mistaken for a tanker or a fishing boat.
export const THREAT = {
  dark: "#ff2b2b", // red: radar or satellite contact with no AIS
  gofast: "#ff3df2", // magenta: 25 kn or more, not a declared high-speed craft
  alert: "#ffd400", // yellow: an open alert names this vessel
} as const;

export const GO_FAST_KN = 25;

/** Vessels (track id or MMSI) with an open alert: kept by the alerts panel. */
const openAlerts = new Map<string, number>();

export function alertKeys(trackIds: string[] | undefined, mmsi: number[] | undefined): string[] {
  return [...(trackIds ?? []).map((t) => `t:${t}`), ...(mmsi ?? []).map((m) => `m:${m}`)];
}

export function setOpenAlert(keys: string[], open: boolean): void {
  for (const k of keys) {
    const n = (openAlerts.get(k) ?? 0) + (open ? 1 : -1);
    if (n > 0) openAlerts.set(k, n);
    else openAlerts.delete(k);
  }
}

export function hasOpenAlert(trackId: string, mmsi: number | null | undefined): boolean {
  return openAlerts.has(`t:${trackId}`) || (mmsi != null && openAlerts.has(`m:${mmsi}`));
}
