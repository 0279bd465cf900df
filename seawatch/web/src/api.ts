// Thin client for the node's HTTP API (docs/INTERFACES.md, "Node"). Session cookie auth; errors are problem+json.

export class ApiError extends Error {
  constructor(
    public readonly status: number,
    message: string,
    public readonly problem: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

async function problemMessage(response: Response): Promise<[string, Record<string, unknown>]> {
  try {
    const body = (await response.json()) as Record<string, unknown>;
    const text = [body.title, body.detail].filter((x) => typeof x === "string" && x).join(": ");
    return [text || `HTTP ${response.status}`, body];
  } catch {
    return [`HTTP ${response.status}`, {}];
  }
}

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)["Content-Type"] = "application/json";
  }
  const response = await fetch(path, init);
  if (!response.ok) {
    const [message, problem] = await problemMessage(response);
    if (response.status === 401) window.dispatchEvent(new CustomEvent("seawatch:unauthorized"));
    throw new ApiError(response.status, message, problem);
  }
  if (response.status === 204) return undefined as T;
  const type = response.headers.get("content-type") ?? "";
  return (type.includes("json") ? await response.json() : await response.text()) as T;
}

export const api = {
  get: <T>(path: string) => request<T>("GET", path),
  post: <T>(path: string, body: unknown) => request<T>("POST", path, body),
  put: <T>(path: string, body: unknown) => request<T>("PUT", path, body),
  del: <T>(path: string) => request<T>("DELETE", path),
};

export function query(params: Record<string, string | number | undefined | null>): string {
  const parts = Object.entries(params)
    .filter(([, v]) => v !== undefined && v !== null && v !== "")
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  return parts.length ? `?${parts.join("&")}` : "";
}
