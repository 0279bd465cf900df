// The node's refusals (problem+json, RFC 9457) said in the reader's language: the common validation
// failures (a 422's first error by its type and values), 403, 404, 413, 415 and 429. Anything else keeps the
// node's own text, so nothing is hidden.
import { ApiError } from "./api";
import { t } from "./i18n";

type Ctx = Record<string, unknown>;

const num = (ctx: Ctx, key: string): number | null => (typeof ctx[key] === "number" ? (ctx[key] as number) : null);

const bound = (key: string, field: string, limit: unknown): string | null =>
  typeof limit === "number" ? t(key, { field, limit }) : null;

/** One 422 error in words, or null when its type is not one the page words itself. */
function fieldText(field: string, type: string, ctx: Ctx): string | null {
  const max = num(ctx, "max_length");
  const min = num(ctx, "min_length");
  switch (type) {
    case "string_too_long":
    case "too_long":
      return max === null ? null : t("problem.too_long", { max });
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
    default:
      return null;
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
  if (err.status === 422 && first?.type) return fieldText(first.field, first.type, first.ctx ?? {}) ?? server;
  const key = BY_STATUS[err.status];
  return key ? t(key) : server;
}
