/** Small pure pieces of talking to the API: cookies, error details, where sign-in returns to. */

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

/** Where to go after signing in: only a path inside the app (never another site). */
export function safeNext(next: string | null): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/sign-in")) return "/";
  return next;
}
