// The one list of zone kinds, read from the node (GET /api/zones/kinds): the form offers exactly the kinds
// the detectors watch, so no drawn zone can be refused or ignored for its kind.
import { api } from "./api";
import { onLanguageChange, t } from "./i18n";
import { $ } from "./util";

export const ZONE_KIND_COLOURS: Record<string, string> = {
  custom: "#ff9f43",
  territorial_sea: "#3d8bfd",
  contiguous_zone: "#5aa9e6",
  eez: "#8c8cff",
  protected_area: "#34c38f",
  port: "#b0b0b0",
};

const labels = new Map<string, string>();
let aliases: Record<string, string> = {};

export function canonicalKind(kind: unknown): string {
  const k = String(kind ?? "custom");
  return aliases[k] ?? k;
}

/** The kind in the user's language (the node's English label for a kind the catalogue lacks). */
export function kindLabel(kind: unknown): string {
  const k = canonicalKind(kind);
  return t(`zone_kind.${k}`, { defaultValue: labels.get(k) ?? k.replace(/_/g, " ") });
}

export function kindColour(kind: unknown): string {
  return ZONE_KIND_COLOURS[canonicalKind(kind)] ?? ZONE_KIND_COLOURS.custom;
}

onLanguageChange(() => {
  const select = document.getElementById("zone-kind") as HTMLSelectElement | null;
  for (const option of select?.options ?? []) option.text = kindLabel(option.value);
});

/** Fill the zone form's kind selector from the node's list (once per page). */
export async function loadZoneKinds(): Promise<void> {
  const body = await api.get("/api/zones/kinds");
  aliases = body.aliases ?? {};
  const select = $("zone-kind") as HTMLSelectElement;
  select.replaceChildren();
  for (const { kind, label } of body.kinds) {
    labels.set(kind, label);
    const option = new Option(kindLabel(kind), kind, kind === body.default, kind === body.default);
    select.append(option);
  }
}
