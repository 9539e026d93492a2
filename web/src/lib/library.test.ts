import { describe, expect, it } from "vitest";
import { columnsFor, findingsLine, pagesFor, posterMs, videoProgress } from "./library";

describe("the library grid", () => {
  it("fits as many columns as the width allows, at least one", () => {
    expect(columnsFor(390 - 16)).toBe(1);
    expect(columnsFor(1000, 220, 12)).toBe(4);
    expect(columnsFor(0)).toBe(1);
  });
  it("asks only for the pages holding the visible cards", () => {
    expect(pagesFor(0, 23, 10_000, 60)).toEqual([0]);
    expect(pagesFor(50, 70, 10_000, 60)).toEqual([0, 1]);
    expect(pagesFor(4980, 5020, 10_000, 60)).toEqual([83]);
    expect(pagesFor(9990, 10_010, 10_000, 60)).toEqual([166]);
    expect(pagesFor(0, 0, 0, 60)).toEqual([0]);
  });
  it("takes the poster a little into the video", () => {
    expect(posterMs(null)).toBe(1000);
    expect(posterMs(20_000)).toBe(2000);
    expect(posterMs(3_600_000)).toBe(10_000);
  });
  it("reads progress from the newer field, else from the task counts", () => {
    const p = { total: 6, completed: 2, running: 1, failed: 0 };
    expect(videoProgress({ progress: p, task_counts: { completed: 6 } })).toEqual(p);
    expect(videoProgress({ task_counts: { completed: 3, running: 1, pending: 1, failed: 1 } }))
      .toEqual({ total: 6, completed: 3, running: 1, failed: 1 });
    expect(videoProgress({})).toBeNull();
  });
});

describe("a card's findings", () => {
  it("joins what was found, in the singular where it is one", () => {
    expect(findingsLine({ top_labels: [{ label: "person" }, { label: "car" }], face_seconds: 11.6, words_read: 1,
      scenes: 3 })).toBe("person, car · faces 12 s · 1 word read · 3 scenes");
    expect(findingsLine({ words_read: 2, scenes: 1 })).toBe("2 words read · 1 scene");
    expect(findingsLine({ top_labels: [], face_seconds: 0, words_read: null })).toBe("");
  });
});
