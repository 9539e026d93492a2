/**
 * The API client: openapi-fetch typed by the API's own schema (src/api/schema.d.ts, `make web-types`).
 * Same-origin cookies; the CSRF header from the reelscan_csrf cookie on every mutation; a 401 sends the
 * app to its sign-in page; a failed request becomes an ApiError that says what failed.
 */
import createClient, { type Middleware } from "openapi-fetch";
import type { paths } from "./schema";

export const CSRF_COOKIE = "reelscan_csrf";
const MUTATIONS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** One cookie's value from a document.cookie string; null when absent. */
export function cookieValue(cookies: string, name: string): string | null {
  for (const part of cookies.split(";")) {
    const i = part.indexOf("=");
    if (i < 0) continue;
    if (part.slice(0, i).trim() === name) {
      try { return decodeURIComponent(part.slice(i + 1).trim()); } catch { return part.slice(i + 1).trim(); }
    }
  }
  return null;
}

export class ApiError extends Error {
  constructor(public what: string, public status: number, public detail: string) {
    super(`${what} failed${status ? ` (${status})` : ""}: ${detail}`);
  }
}

/** The API's `detail` (a string, or FastAPI's list of validation errors) as one readable line. */
export function detailText(body: unknown, fallback: string): string {
  const d = (body as { detail?: unknown } | null)?.detail;
  if (typeof d === "string") return d;
  if (Array.isArray(d)) {
    return d.map((e: { loc?: unknown[]; msg?: string }) =>
      `${(e.loc ?? []).filter((x) => x !== "query" && x !== "body").join(".")}: ${e.msg ?? ""}`).join("; ");
  }
  return fallback;
}

let onUnauthorized: () => void = () => {
  if (!location.pathname.startsWith("/app/sign-in")) {
    const back = location.pathname + location.search;
    location.assign(`/app/sign-in?next=${encodeURIComponent(back)}`);
  }
};
export function setUnauthorizedHandler(fn: () => void): void { onUnauthorized = fn; }

export function csrfHeaders(method: string): Record<string, string> {
  const token = MUTATIONS.has(method.toUpperCase()) ? cookieValue(document.cookie, CSRF_COOKIE) : null;
  return token ? { "X-CSRF-Token": token } : {};
}

const access: Middleware = {
  onRequest({ request }) {
    for (const [k, v] of Object.entries(csrfHeaders(request.method))) request.headers.set(k, v);
    return request;
  },
  onResponse({ request, response }) {
    if (response.status === 401 && !new URL(request.url).pathname.startsWith("/auth/")) onUnauthorized();
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: location.origin, credentials: "same-origin" });
api.use(access);

/** The data of an openapi-fetch answer, or an ApiError naming the request. */
export async function must<T>(what: string, p: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let r: { data?: T; error?: unknown; response: Response };
  try {
    r = await p;
  } catch (e) {
    throw new ApiError(what, 0, `the server did not answer (${(e as Error).message})`);
  }
  if (!r.response.ok) throw new ApiError(what, r.response.status, detailText(r.error, r.response.statusText));
  return r.data as T;
}

/** A plain fetch for the routes the generated types do not have yet; same cookies, CSRF and 401 handling. */
export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const what = `${method} ${path.split("?")[0]}`;
  let res: Response;
  try {
    res = await fetch(path, { method, credentials: "same-origin",
      headers: { ...csrfHeaders(method), ...(body !== undefined ? { "Content-Type": "application/json" } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined });
  } catch (e) {
    throw new ApiError(what, 0, `the server did not answer (${(e as Error).message})`);
  }
  if (res.status === 401 && !path.startsWith("/auth/")) onUnauthorized();
  const text = await res.text();
  let json: unknown = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  if (!res.ok) throw new ApiError(what, res.status, detailText(json, res.statusText || text.slice(0, 200)));
  return json as T;
}

export function frameUrl(videoId: string, ms: number, width = 320): string {
  return `/videos/${videoId}/frame?t_ms=${Math.max(0, Math.round(ms))}&width=${width}`;
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
