import { describe, expect, it } from "vitest";
import { activeIndex, adjacentScene, type Artifact, buildLanes, markLabel, packRows, place, sceneStarts,
  timelineLength } from "./timeline";

let n = 0;
function art(type: string, start: number, end: number, payload: Record<string, unknown> = {}): Artifact {
  n += 1;
  return { artifact_id: `a${n}`, artifact_type: type, schema_version: 2, span_start_ms: start, span_end_ms: end, payload };
}

describe("packRows", () => {
  it("puts overlapping marks in different rows and reuses a free row", () => {
    const marks = [{ id: "a", startMs: 0, endMs: 10, label: "" }, { id: "b", startMs: 5, endMs: 15, label: "" },
      { id: "c", startMs: 12, endMs: 20, label: "" }];
    const rows = packRows(marks, 4);
    expect(rows.map((r) => r.map((m) => m.id))).toEqual([["a", "c"], ["b"]]);
  });
  it("keeps every mark when rows run out (the rest share the last row)", () => {
    const marks = Array.from({ length: 6 }, (_, i) => ({ id: String(i), startMs: 0, endMs: 100, label: "" }));
    const rows = packRows(marks, 2);
    expect(rows).toHaveLength(2);
    expect(rows.flat()).toHaveLength(6);
  });
});

describe("place", () => {
  it("places in percent of the video and keeps a moment clickable", () => {
    const p = place({ id: "x", startMs: 25_000, endMs: 50_000, label: "" }, 100_000);
    expect(p.leftPct).toBe(25);
    expect(p.widthPct).toBe(25);
    const moment = place({ id: "y", startMs: 10_000, endMs: 10_000, label: "" }, 100_000, 0.5);
    expect(moment.widthPct).toBe(0.5);
  });
  it("never runs past the end", () => {
    const p = place({ id: "z", startMs: 99_900, endMs: 120_000, label: "" }, 100_000);
    expect(p.leftPct + p.widthPct).toBeLessThanOrEqual(100);
  });
});

describe("buildLanes", () => {
  const arts = [
    art("scene", 0, 4000, { scene_index: 0 }), art("scene", 4000, 9000, { scene_index: 1 }),
    art("object_detection", 0, 3000, { label: "dog" }), art("object_detection", 5000, 6000, { label: "cat" }),
    art("object_detection", 6000, 9000, { label: "dog" }),
    art("face_detection", 1000, 2000, {}),
    art("place_classification", 0, 9000, { label: "beach" }),
    art("ocr_text", 2000, 4000, { text: "EXIT" }),
    art("transcript_segment", 0, 2000, { text: "Hello there." }),
    art("something_new", 0, 1, {}),
  ];
  const lanes = buildLanes(arts, 10_000);
  it("has one lane per analysis with results, in a fixed order, unknown types left out", () => {
    expect(lanes.map((l) => l.kind)).toEqual(["scenes", "objects", "faces", "places", "text", "transcript"]);
  });
  it("gives objects a row per label, most time on screen first", () => {
    const objects = lanes.find((l) => l.kind === "objects")!;
    expect(objects.rows.map((r) => r.title)).toEqual(["dog", "cat"]);
    expect(objects.rows[0].marks.map((m) => m.startMs)).toEqual([0, 6000]);
  });
  it("draws scenes as cuts at their starts", () => {
    const scenes = lanes.find((l) => l.kind === "scenes")!;
    expect(scenes.rows[0].marks.map((m) => m.leftPct)).toEqual([0, 40]);
    expect(scenes.rows[0].marks.map((m) => m.label)).toEqual(["Scene 1", "Scene 2"]);
  });
  it("labels marks with what they are", () => {
    expect(markLabel(art("ocr_text", 0, 1, { text: "EXIT" }))).toBe("EXIT");
    expect(markLabel(art("place_classification", 0, 1, { frame_ms: 0, top_k: [{ label: "forest" }] }))).toBe("forest");
    expect(markLabel(art("face_detection", 0, 1))).toBe("face");
  });
  it("spans the last result when the video's length is unknown", () => {
    expect(timelineLength(null, arts)).toBe(9000);
    expect(timelineLength(12_000, arts)).toBe(12_000);
    expect(timelineLength(undefined, [])).toBe(1);
  });
});

describe("scene jumps", () => {
  const starts = sceneStarts([art("scene", 8000, 9000), art("scene", 0, 4000), art("scene", 4000, 8000)]);
  it("sorts scene starts", () => expect(starts).toEqual([0, 4000, 8000]));
  it("k goes to the next scene, j to the previous (a start just behind counts as this one)", () => {
    expect(adjacentScene(starts, 5000, 1)).toBe(8000);
    expect(adjacentScene(starts, 8200, -1)).toBe(4000);
    expect(adjacentScene(starts, 5000, -1)).toBe(4000);
    expect(adjacentScene(starts, 9000, 1)).toBeNull();
    expect(adjacentScene(starts, 100, -1)).toBe(0);
  });
});

describe("activeIndex", () => {
  const spans = [{ startMs: 0, endMs: 1000 }, { startMs: 2000, endMs: 3000 }, { startMs: 3000, endMs: 5000 }];
  it("finds the sentence being spoken, none in a pause", () => {
    expect(activeIndex(spans, 500)).toBe(0);
    expect(activeIndex(spans, 1500)).toBe(-1);
    expect(activeIndex(spans, 3500)).toBe(2);
    expect(activeIndex(spans, 6000)).toBe(-1);
    expect(activeIndex([], 0)).toBe(-1);
  });
});
