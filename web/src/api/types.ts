/** Names for the API's shapes (generated from its OpenAPI schema), plus the fields newer API versions add. */
import type { components } from "./schema";

type S = components["schemas"];
export type Video = S["VideoOut"] & {
  /** Can a browser play the file (newer APIs); false → frames only. */
  playable?: boolean | null;
  /** Per-video analysis progress (newer APIs). */
  progress?: { total: number; completed: number; running: number; failed: number } | null;
  /** What was found (newer APIs). */
  findings?: {
    top_labels?: { kind: string; label: string }[];
    face_seconds?: number | null;
    words_read?: number | null;
    scenes?: number | null;
  } | null;
  /** The container format, when the API says (newer APIs). */
  container?: string | null;
  video_codec?: string | null;
};
export type VideoList = { items: Video[]; total: number; limit: number; offset: number };
export type Task = S["TaskOut"];
export type TaskList = S["TaskListOut"];
export type TaskStatus = S["TaskStatus"];
export type TaskType = S["TaskType"];
export type Queue = S["QueueOut"];
export type Health = S["HealthOut"];
export type Summary = S["SummaryOut"];
export type ArtifactOut = S["ArtifactOut"];
export type ArtifactList = S["ArtifactListOut"];
export type TextHit = S["TextHitOut"];
export type LabelKind = S["LabelKind"];
export type Appearances = S["VideoAppearancesOut"];
export type LabelCount = S["LabelCountOut"];
export type Delivery = S["DeliveryOut"];

export const TASK_TYPES: TaskType[] = ["object_detection", "face_detection", "transcription", "ocr",
  "place_detection", "scene_detection"];
export const TASK_STATUSES: TaskStatus[] = ["pending", "running", "completed", "failed", "cancelled"];

export const TASK_TITLES: Record<string, string> = {
  object_detection: "Objects", face_detection: "Faces", transcription: "Transcript", ocr: "On-screen text",
  place_detection: "Places", scene_detection: "Scenes",
};

/** "untrained" when the model profile says the network has no trained weights. */
export function isUntrained(profile: string | null | undefined): boolean {
  return !!profile && /untrained|random|no[-_ ]?weights/i.test(profile);
}
