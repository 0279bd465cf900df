// The node's refusals (problem+json, RFC 9457) said in the reader's language: the common validation
// failures (a 422's first error by its type and values), the node's own refusals by their stable code (the
// first error's `type`, any status: a releasable_to naming no partner, a chat room's members, 409 conflicts
// such as asset_exists, last_admin or stale_version, with their values in `ctx`), then 403, 404, 413, 415 and 429 by status.
// Anything else keeps the node's own text, so nothing is hidden.
import { ApiError } from "./api";
import { t } from "./i18n";

type Ctx = Record<string, unknown>;

const num = (ctx: Ctx, key: string): number | null => (typeof ctx[key] === "number" ? (ctx[key] as number) : null);

const bound = (key: string, field: string, limit: unknown): string | null =>
  typeof limit === "number" ? t(key, { field, limit }) : null;

const text = (ctx: Ctx, key: string): string => (ctx[key] === undefined ? "" : String(ctx[key]));

/** Refusals whose words (`problem.<code>`) take the `ctx` values as they are: the node's stable codes. */
// i18n-keys: problem.not_node_ids problem.closed_without_outcome problem.asset_exists problem.task_not_by_state
// i18n-keys: problem.asset_on_task problem.asset_unreachable problem.asset_not_on_task problem.last_admin
// i18n-keys: problem.wrong_password problem.id_chars problem.slug_chars problem.stale_version
// i18n-keys: problem.not_iso_time problem.empty_window problem.not_mmsi problem.vessel_too_short
const BY_CODE = new Set([
  "not_node_ids",
  "closed_without_outcome",
  "asset_exists",
  "task_not_by_state",
  "asset_on_task",
  "asset_unreachable",
  "asset_not_on_task",
  "last_admin",
  "wrong_password",
  "stale_version", // 409: the case changed since the version the change was made on
  "not_iso_time", // the case list's filters (cases/query.py)
  "empty_window",
  "not_mmsi",
  "vessel_too_short",
]);

/** One error (a 422's field, or a refusal's code) in words, or null when its type is not one the page words. */
function fieldText(field: string, type: string, ctx: Ctx): string | null {
  const max = num(ctx, "max_length");
  const min = num(ctx, "min_length");
  switch (type) {
    case "string_too_long":
      return max === null ? null : t("problem.too_long", { max });
    case "too_long": // a list (field_type List) counts entries, a text characters
      if (max === null) return null;
      return ctx.field_type === "List" ? t("problem.too_many", { max }) : t("problem.too_long", { max });
    case "string_too_short":
    case "too_short":
      if (min === null) return null;
      return min <= 1 ? t("problem.empty") : t("problem.too_short", { min });
    case "missing":
      return t("problem.missing", { field });
    case "less_than_equal":
      return bound("problem.at_most", field, ctx.le);
    case "greater_than_equal":
      return bound("problem.at_least", field, ctx.ge);
    case "literal_error":
      return ctx.expected === undefined ? null : t("problem.one_of", { field, expected: text(ctx, "expected") });
    case "unknown_partner": // ctx.known: the node's partners, "" when it has none
      return text(ctx, "known")
        ? t("problem.unknown_partner", { ids: text(ctx, "ids"), known: text(ctx, "known") })
        : t("problem.no_partners", { ids: text(ctx, "ids") });
    case "id_chars":
    case "slug_chars":
      return max === null ? null : t(`problem.${type}`, { max });
    case "asset_unavailable": {
      const state = text(ctx, "state");
      return t("problem.asset_unavailable", { asset: text(ctx, "asset"), state: t(`fleet.${state}`, { defaultValue: state }) });
    }
    default: {
      if (!BY_CODE.has(type)) return null;
      return t(`problem.${type}`, Object.fromEntries(Object.entries(ctx).map(([k, v]) => [k, String(v)])));
    }
  }
}

const BY_STATUS: Record<number, string> = {
  403: "problem.forbidden",
  404: "problem.not_found",
  413: "problem.too_large",
  415: "problem.unsupported_type",
  429: "problem.rate_limited",
};

/** What went wrong, in the reader's language when the page knows the failure, else `fallback` (by default the
 * node's detail for an ApiError, the message of any other error). Call again after a language change. */
export function problemText(err: unknown, fallback?: string): string {
  const server = fallback ?? (err instanceof ApiError ? (err.problem.detail ?? err.message) : String((err as Error)?.message ?? err));
  if (!(err instanceof ApiError)) return server;
  const first = err.problem.errors?.[0];
  const words = first?.type ? fieldText(first.field, first.type, first.ctx ?? {}) : null;
  if (words) return words;
  if (err.status === 422 && first?.type) return server;
  const key = BY_STATUS[err.status];
  return key ? t(key) : server;
}
