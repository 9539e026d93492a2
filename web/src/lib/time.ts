/** Time as people read it (1:02:03.4) and as the URL carries it (?t=12.3, seconds). */

export function formatTime(ms: number, withTenths = false): string {
  const neg = ms < 0;
  const total = Math.abs(ms) / 1000;
  let whole = Math.floor(total);
  let tenths = Math.floor((total - whole) * 10 + 1e-6);
  if (tenths >= 10) { whole += 1; tenths = 0; }
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = whole % 60;
  const ss = String(s).padStart(2, "0");
  const body = h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
  return (neg ? "-" : "") + body + (withTenths ? `.${tenths}` : "");
}

/** The `t` parameter: seconds ("12.3"), or clock form ("1:02", "1:02:03.5"); null when absent or unreadable. */
export function parseT(value: string | null | undefined): number | null {
  if (value == null) return null;
  const v = value.trim();
  if (v === "") return null;
  const parts = v.split(":");
  if (parts.length > 3 || parts.some((p) => !/^\d+(\.\d+)?$/.test(p))) return null;
  if (parts.slice(0, -1).some((p) => p.includes("."))) return null;
  const secs = parts.reduce((acc, p) => acc * 60 + Number(p), 0);
  return Number.isFinite(secs) ? Math.round(secs * 1000) : null;
}

/** What goes into `?t=`: seconds with at most one decimal. */
export function formatT(ms: number): string {
  const s = Math.max(0, Math.round(ms / 100) / 10);
  return Number.isInteger(s) ? String(s) : s.toFixed(1);
}

export function formatDuration(ms: number | null | undefined): string {
  return ms == null ? "unknown length" : formatTime(ms);
}
