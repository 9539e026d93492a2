import { describe, expect, it } from "vitest";
import { boxesAt, intervalMs, sampleAt, toTrack, type Track } from "./boxes";
import type { Artifact } from "./timeline";

const track: Artifact = {
  artifact_id: "t1", artifact_type: "object_detection", schema_version: 2, span_start_ms: 2000, span_end_ms: 4000,
  payload: { label: "dog", frame_width: 200, frame_height: 100, start_ms: 2000, end_ms: 4000,
    sightings: [{ frame_ms: 3000, box: { x1: 100, y1: 50, x2: 200, y2: 100 }, confidence: 0.8 },
      { frame_ms: 2000, box: { x1: 0, y1: 0, x2: 100, y2: 50 }, confidence: 0.9 },
      { frame_ms: 4000, box: { x1: 50, y1: 0, x2: 150, y2: 50 }, confidence: 0.7 }] },
};

describe("toTrack", () => {
  it("reads a V2 track's sightings in time order", () => {
    const t = toTrack(track)!;
    expect(t.samples.map((s) => s.ms)).toEqual([2000, 3000, 4000]);
    expect(t.label).toBe("dog");
  });
  it("reads a V1 single frame and a V2 text span's one box", () => {
    const v1 = toTrack({ ...track, artifact_type: "face_detection", schema_version: 1,
      payload: { frame_ms: 500, frame_width: 10, frame_height: 10, box: { x1: 1, y1: 1, x2: 5, y2: 5 }, confidence: 1 } })!;
    expect(v1.kind).toBe("face");
    expect(v1.samples).toEqual([{ ms: 500, box: { x1: 1, y1: 1, x2: 5, y2: 5 } }]);
    const text = toTrack({ ...track, artifact_type: "ocr_text",
      payload: { text: "EXIT", frame_width: 10, frame_height: 10, box: { x1: 0, y1: 0, x2: 2, y2: 2 } } })!;
    expect(text.label).toBe("EXIT");
    expect(text.samples[0].ms).toBe(2000);
  });
  it("skips what has no boxes or no frame size", () => {
    expect(toTrack({ ...track, artifact_type: "scene" })).toBeNull();
    expect(toTrack({ ...track, payload: { ...track.payload, frame_width: 0 } })).toBeNull();
    expect(toTrack({ ...track, payload: { ...track.payload, sightings: [] } })).toBeNull();
  });
});

describe("box at time", () => {
  const t = toTrack(track) as Track;
  it("holds a sample until the next one", () => {
    expect(sampleAt(t.samples, 1999)).toBeNull();
    expect(sampleAt(t.samples, 2000)?.ms).toBe(2000);
    expect(sampleAt(t.samples, 2999)?.ms).toBe(2000);
    expect(sampleAt(t.samples, 3000)?.ms).toBe(3000);
  });
  it("gives the box in fractions of the frame", () => {
    expect(boxesAt([t], 3500)).toEqual([{ id: "t1", kind: "object", label: "dog", left: 0.5, top: 0.5, width: 0.5, height: 0.5 }]);
  });
  it("shows nothing before the track and keeps the last box for one sampling interval", () => {
    expect(boxesAt([t], 1000, 1000)).toEqual([]);
    expect(boxesAt([t], 4900, 1000)).toHaveLength(1);
    expect(boxesAt([t], 5000, 1000)).toEqual([]);
    expect(boxesAt([t], 4500, 0)).toEqual([]);
  });
  it("takes the interval from the analysis config", () => {
    expect(intervalMs(0.5)).toBe(500);
    expect(intervalMs(undefined)).toBe(1000);
    expect(intervalMs("x", 250)).toBe(250);
  });
});
