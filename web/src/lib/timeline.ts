/** The timeline's model: artifacts → lanes → rows of marks placed in percent of the video. */

export interface Artifact {
  artifact_id: string;
  artifact_type: string;
  schema_version: number;
  span_start_ms: number;
  span_end_ms: number;
  payload: Record<string, unknown>;
  model_profile?: string;
}

export interface Mark {
  id: string;
  startMs: number;
  endMs: number;
  label: string;
}

export interface PlacedMark extends Mark {
  leftPct: number;
  widthPct: number;
}

export type LaneKind = "scenes" | "objects" | "faces" | "places" | "text" | "transcript";

export interface Row {
  title: string;
  marks: PlacedMark[];
}

export interface Lane {
  kind: LaneKind;
  title: string;
  rows: Row[];
}

export const LANE_TITLES: Record<LaneKind, string> = {
  scenes: "Scenes",
  objects: "Objects",
  faces: "Faces",
  places: "Places",
  text: "On-screen text",
  transcript: "Transcript",
};

const TYPE_LANE: Record<string, LaneKind> = {
  scene: "scenes",
  object_detection: "objects",
  face_detection: "faces",
  place_classification: "places",
  ocr_text: "text",
  transcript_segment: "transcript",
};

export function laneOf(artifactType: string): LaneKind | null {
  return TYPE_LANE[artifactType] ?? null;
}

function str(v: unknown): string | null {
  return typeof v === "string" && v !== "" ? v : null;
}

/** What a mark says on hover. */
export function markLabel(a: Artifact): string {
  const p = a.payload;
  switch (a.artifact_type) {
    case "scene":
      return `Scene ${typeof p.scene_index === "number" ? p.scene_index + 1 : ""}`.trim();
    case "object_detection":
      return str(p.label) ?? "object";
    case "face_detection":
      return "face";
    case "place_classification": {
      const top = Array.isArray(p.top_k) ? (p.top_k[0] as { label?: string } | undefined) : undefined;
      return str(p.label) ?? str(top?.label) ?? "place";
    }
    case "ocr_text":
    case "transcript_segment":
      return str(p.text) ?? "";
    default:
      return a.artifact_type;
  }
}

export function toMark(a: Artifact): Mark {
  return { id: a.artifact_id, startMs: a.span_start_ms, endMs: Math.max(a.span_end_ms, a.span_start_ms),
    label: markLabel(a) };
}

/**
 * Greedy interval packing: marks sorted by start go into the first row that is free
 * by then (a row's last end + gap ≤ start), else a new row, up to maxRows (the rest
 * share the last row). Returns rows of marks; every mark is in exactly one row.
 */
export function packRows<T extends Mark>(marks: T[], maxRows = 4, gapMs = 0): T[][] {
  const sorted = [...marks].sort((a, b) => a.startMs - b.startMs || a.endMs - b.endMs);
  const rows: T[][] = [];
  const ends: number[] = [];
  for (const m of sorted) {
    let row = ends.findIndex((end) => end + gapMs <= m.startMs);
    if (row < 0) {
      if (rows.length < maxRows) {
        rows.push([]);
        ends.push(-Infinity);
        row = rows.length - 1;
      } else {
        row = rows.length - 1;
      }
    }
    rows[row].push(m);
    ends[row] = Math.max(ends[row], m.endMs);
  }
  return rows;
}

/** Percent position of a mark; a mark is at least minPct wide so a moment stays clickable. */
export function place<T extends Mark>(m: T, durationMs: number, minPct = 0.4): T & PlacedMark {
  const d = durationMs > 0 ? durationMs : 1;
  const leftPct = Math.min(100, Math.max(0, (m.startMs / d) * 100));
  const widthPct = Math.min(100 - leftPct, Math.max(minPct, ((m.endMs - m.startMs) / d) * 100));
  return { ...m, leftPct, widthPct };
}

/** The length the timeline spans: the video's, or the last artifact's end when unknown. */
export function timelineLength(durationMs: number | null | undefined, artifacts: Artifact[]): number {
  if (durationMs && durationMs > 0) return durationMs;
  return artifacts.reduce((mx, a) => Math.max(mx, a.span_end_ms), 0) || 1;
}

/**
 * One lane per analysis that has results: objects get a row per label (most time on
 * screen first, at most maxLabels); the other span lanes are packed into rows.
 */
export function buildLanes(artifacts: Artifact[], durationMs: number, maxLabels = 8): Lane[] {
  const byLane = new Map<LaneKind, Artifact[]>();
  for (const a of artifacts) {
    const k = laneOf(a.artifact_type);
    if (!k) continue;
    const list = byLane.get(k) ?? [];
    list.push(a);
    byLane.set(k, list);
  }
  const order: LaneKind[] = ["scenes", "objects", "faces", "places", "text", "transcript"];
  const lanes: Lane[] = [];
  for (const kind of order) {
    const list = byLane.get(kind);
    if (!list || list.length === 0) continue;
    const marks = list.map(toMark);
    let rows: Row[];
    if (kind === "objects" || kind === "faces") {
      rows = rowsPerLabel(marks, durationMs, maxLabels);
    } else if (kind === "scenes") {
      rows = [{ title: LANE_TITLES.scenes, marks: marks.sort((a, b) => a.startMs - b.startMs)
        .map((m) => place(m, durationMs, 0)) }];
    } else {
      rows = packRows(marks, kind === "transcript" ? 1 : 3).map((r, i) => ({
        title: i === 0 ? LANE_TITLES[kind] : "", marks: r.map((m) => place(m, durationMs)) }));
    }
    lanes.push({ kind, title: LANE_TITLES[kind], rows });
  }
  return lanes;
}

function rowsPerLabel(marks: Mark[], durationMs: number, maxLabels: number): Row[] {
  const groups = new Map<string, Mark[]>();
  for (const m of marks) groups.set(m.label, [...(groups.get(m.label) ?? []), m]);
  const time = (ms: Mark[]) => ms.reduce((s, m) => s + (m.endMs - m.startMs), 0);
  return [...groups.entries()]
    .sort((a, b) => time(b[1]) - time(a[1]) || a[0].localeCompare(b[0]))
    .slice(0, maxLabels)
    .map(([label, ms]) => ({ title: label, marks: ms.sort((a, b) => a.startMs - b.startMs)
      .map((m) => place(m, durationMs)) }));
}

/** Scene starts, sorted, for j/k. */
export function sceneStarts(artifacts: Artifact[]): number[] {
  return artifacts.filter((a) => a.artifact_type === "scene").map((a) => a.span_start_ms)
    .sort((a, b) => a - b);
}

/** The scene start before (dir -1) or after (dir +1) t; a start within 500 ms behind t counts as "this one". */
export function adjacentScene(starts: number[], tMs: number, dir: 1 | -1): number | null {
  if (dir > 0) return starts.find((s) => s > tMs + 1) ?? null;
  const before = starts.filter((s) => s < tMs - 500);
  return before.length ? before[before.length - 1] : (starts.length ? starts[0] : null);
}

/** Index of the sentence spoken at t (binary search over sorted, non-overlapping spans); -1 if none. */
export function activeIndex(spans: { startMs: number; endMs: number }[], tMs: number): number {
  let lo = 0;
  let hi = spans.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (spans[mid].startMs <= tMs) { found = mid; lo = mid + 1; } else { hi = mid - 1; }
  }
  return found >= 0 && tMs <= spans[found].endMs ? found : -1;
}
