/** The library grid's arithmetic: columns for a width, which API pages a range of cards needs, the poster time. */

export const PAGE_SIZE = 60;
export const CARD_MIN_WIDTH = 220;

export function columnsFor(widthPx: number, minCard = CARD_MIN_WIDTH, gapPx = 12): number {
  return Math.max(1, Math.floor((widthPx + gapPx) / (minCard + gapPx)));
}

/** The page numbers (offset / PAGE_SIZE) holding cards first..last (inclusive), clipped to the total. */
export function pagesFor(first: number, last: number, total: number, pageSize = PAGE_SIZE): number[] {
  if (total <= 0 || last < first) return [0];
  const lo = Math.max(0, Math.floor(first / pageSize));
  const hi = Math.min(Math.floor((total - 1) / pageSize), Math.floor(last / pageSize));
  const out: number[] = [];
  for (let p = lo; p <= hi; p++) out.push(p);
  return out.length ? out : [0];
}

/** A poster moment: a tenth into the video (past a black first frame), at most 10 s in; 1 s when the length is unknown. */
export function posterMs(durationMs: number | null | undefined): number {
  if (!durationMs || durationMs <= 0) return 1000;
  return Math.min(10_000, Math.round(durationMs / 10));
}

export interface Progress { total: number; completed: number; running: number; failed: number }

/** Progress of a video's analyses from the newer `progress` field, else from `task_counts`; null when unknown. */
export function videoProgress(v: { progress?: Progress | null; task_counts?: Record<string, number> | null }):
  Progress | null {
  if (v.progress) return v.progress;
  const c = v.task_counts;
  if (!c) return null;
  const total = Object.values(c).reduce((s, n) => s + (n ?? 0), 0);
  return { total, completed: c.completed ?? 0, running: c.running ?? 0, failed: c.failed ?? 0 };
}

export interface Findings {
  top_labels?: { label: string }[] | null;
  face_seconds?: number | null;
  words_read?: number | null;
  scenes?: number | null;
}

const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

/** A card's one line of what was found: "person, car · faces 12 s · 1 word read · 3 scenes". */
export function findingsLine(f: Findings): string {
  const parts: string[] = [];
  const labels = (f.top_labels ?? []).slice(0, 4).map((l) => l.label);
  if (labels.length) parts.push(labels.join(", "));
  if (f.face_seconds) parts.push(`faces ${Math.round(f.face_seconds)} s`);
  if (f.words_read) parts.push(`${plural(f.words_read, "word", "words")} read`);
  if (f.scenes) parts.push(plural(f.scenes, "scene", "scenes"));
  return parts.join(" · ");
}
