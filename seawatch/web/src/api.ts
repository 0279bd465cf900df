// Thin client for the node's HTTP API, typed by its OpenAPI document (generated/api.ts): the answer's
// type follows from the method and path. Session cookie auth; errors are problem+json.
import type { paths } from "./generated/api";
import type { Problem } from "./types";

export class ApiError extends Error {
  constructor(
    public readonly status: number,
    message: string,
    public readonly problem: Partial<Problem> = {},
  ) {
    super(message);
  }
}

type Method = "get" | "post" | "put" | "patch" | "delete";
type Operation<P extends keyof paths, M extends Method> = NonNullable<paths[P][M]>;
type JsonOf<R> = R extends { content: { "application/json": infer T } } ? T : undefined;
type Responses<Op> = Op extends { responses: infer R } ? R : never;
/** The JSON body of the operation's success answer (undefined for 204). */
export type Answer<P extends keyof paths, M extends Method> =
  Responses<Operation<P, M>> extends infer R
    ? R extends { 200: infer A } ? JsonOf<A> : R extends { 201: infer A } ? JsonOf<A> : undefined
    : never;
type Body<P extends keyof paths, M extends Method> =
  Operation<P, M> extends { requestBody?: { content: { "application/json": infer B } } } ? B : never;
type PathParams<P extends keyof paths, M extends Method> =
  Operation<P, M> extends { parameters: { path: infer T } } ? T : undefined;
type PathsWith<M extends Method> = { [P in keyof paths]: paths[P][M] extends undefined ? never : P }[keyof paths];

async function problemMessage(response: Response): Promise<[string, Partial<Problem>]> {
  try {
    const body = (await response.json()) as Partial<Problem>;
    const text = [body.title, body.detail].filter((x) => typeof x === "string" && x).join(": ");
    return [text || `HTTP ${response.status}`, body];
  } catch {
    return [`HTTP ${response.status}`, {}];
  }
}

/** `/api/vessels/{mmsi}` with `{mmsi: 1}` → `/api/vessels/1`. */
function fill(path: string, params: Record<string, string | number> | undefined): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(String(params?.[name] ?? "")));
}

async function request<T>(method: string, url: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)["Content-Type"] = "application/json";
  }
  const response = await fetch(url, init);
  if (!response.ok) {
    const [message, problem] = await problemMessage(response);
    if (response.status === 401) window.dispatchEvent(new CustomEvent("seawatch:unauthorized"));
    throw new ApiError(response.status, message, problem);
  }
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

interface Where<P extends keyof paths, M extends Method> {
  path?: PathParams<P, M>;
  query?: Record<string, string | number | undefined | null>;
}

function url<P extends keyof paths, M extends Method>(path: P, where: Where<P, M> = {}): string {
  return fill(path, where.path as Record<string, string | number> | undefined) + query(where.query ?? {});
}

export const api = {
  get: <P extends PathsWith<"get">>(path: P, where?: Where<P, "get">) =>
    request<Answer<P, "get">>("GET", url(path, where)),
  post: <P extends PathsWith<"post">>(path: P, body: Body<P, "post">, where?: Where<P, "post">) =>
    request<Answer<P, "post">>("POST", url(path, where), body),
  put: <P extends PathsWith<"put">>(path: P, body: Body<P, "put">, where?: Where<P, "put">) =>
    request<Answer<P, "put">>("PUT", url(path, where), body),
  patch: <P extends PathsWith<"patch">>(path: P, body: Body<P, "patch">, where?: Where<P, "patch">) =>
    request<Answer<P, "patch">>("PATCH", url(path, where), body),
  del: <P extends PathsWith<"delete">>(path: P, where?: Where<P, "delete">) =>
    request<Answer<P, "delete">>("DELETE", url(path, where)),
};

export function query(params: Record<string, string | number | undefined | null>): string {
  const parts = Object.entries(params)
    .filter(([, v]) => v !== undefined && v !== null && v !== "")
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  return parts.length ? `?${parts.join("&")}` : "";
}
