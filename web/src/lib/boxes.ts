/**
 * Boxes over the picture: for a time t, the box of every object, face and on-screen
 * text visible then. A track's sampled boxes are held until the next sample (a box
 * seen at 2.0 s still shows at 2.9 s when the next sample is at 3.0 s), and the last
 * one for one sampling interval after it.
 */
import type { Artifact } from "./timeline";

export interface Box { x1: number; y1: number; x2: number; y2: number }

export interface Sample { ms: number; box: Box }

export interface Track {
  id: string;
  kind: "object" | "face" | "text";
  label: string;
  startMs: number;
  endMs: number;
  frameWidth: number;
  frameHeight: number;
  samples: Sample[]; // sorted by ms
}

export interface ShownBox {
  id: string;
  kind: Track["kind"];
  label: string;
  /** in fractions of the frame (0..1), so any displayed size can scale them */
  left: number;
  top: number;
  width: number;
  height: number;
}

const KIND: Record<string, Track["kind"]> = {
  object_detection: "object",
  face_detection: "face",
  ocr_text: "text",
};

function isBox(v: unknown): v is Box {
  const b = v as Box | null;
  return !!b && typeof b === "object" && [b.x1, b.y1, b.x2, b.y2].every((n) => typeof n === "number");
}

/** A track from one artifact (V2 tracks with sightings, V2 text spans with one box, V1 single frames). */
export function toTrack(a: Artifact): Track | null {
  const kind = KIND[a.artifact_type];
  if (!kind) return null;
  const p = a.payload as Record<string, unknown>;
  const fw = Number(p.frame_width);
  const fh = Number(p.frame_height);
  if (!(fw > 0 && fh > 0)) return null;
  let samples: Sample[] = [];
  if (Array.isArray(p.sightings)) {
    samples = (p.sightings as { frame_ms: number; box: unknown }[])
      .filter((s) => isBox(s.box) && typeof s.frame_ms === "number")
      .map((s) => ({ ms: s.frame_ms, box: s.box as Box }));
  } else if (isBox(p.box)) {
    const ms = typeof p.frame_ms === "number" ? p.frame_ms : a.span_start_ms;
    samples = [{ ms, box: p.box }];
  }
  if (samples.length === 0) return null;
  samples.sort((x, y) => x.ms - y.ms);
  const label = kind === "face" ? "face" : String(p.label ?? p.text ?? kind);
  return { id: a.artifact_id, kind, label, startMs: Math.min(a.span_start_ms, samples[0].ms),
    endMs: Math.max(a.span_end_ms, samples[samples.length - 1].ms), frameWidth: fw, frameHeight: fh, samples };
}

/** The sample in force at t: the last one at or before t (binary search); null before the first. */
export function sampleAt(samples: Sample[], tMs: number): Sample | null {
  let lo = 0;
  let hi = samples.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (samples[mid].ms <= tMs) { found = mid; lo = mid + 1; } else { hi = mid - 1; }
  }
  return found >= 0 ? samples[found] : null;
}

/**
 * The boxes shown at t. holdMs: how long a track's last box stays after its end
 * (its sampling interval; 0 shows it only up to its end).
 */
export function boxesAt(tracks: Track[], tMs: number, holdMs: number | ((t: Track) => number) = 0): ShownBox[] {
  const out: ShownBox[] = [];
  for (const tr of tracks) {
    const hold = typeof holdMs === "function" ? holdMs(tr) : holdMs;
    if (tMs < tr.startMs || tMs >= tr.endMs + Math.max(hold, 1)) continue;
    const s = sampleAt(tr.samples, tMs);
    if (!s) continue;
    out.push({ id: tr.id, kind: tr.kind, label: tr.label,
      left: s.box.x1 / tr.frameWidth, top: s.box.y1 / tr.frameHeight,
      width: (s.box.x2 - s.box.x1) / tr.frameWidth, height: (s.box.y2 - s.box.y1) / tr.frameHeight });
  }
  return out;
}

/** The sampling interval a track's analysis used, from its config (frame_interval_s), in ms. */
export function intervalMs(frameIntervalS: unknown, fallbackMs = 1000): number {
  const s = Number(frameIntervalS);
  return s > 0 && Number.isFinite(s) ? Math.round(s * 1000) : fallbackMs;
}
