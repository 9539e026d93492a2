import { describe, expect, it } from "vitest";
import { Batcher, EVENTS_URL, keysFor, liveEventsUrl } from "./live";
import { cookieValue, detailText, safeNext } from "./http";

describe("live updates", () => {
  it("a task's progress refreshes its video, the lists and the queues", () => {
    const keys = keysFor("task", { task_id: "t", video_id: "v", task_type: "ocr", status: "running" });
    expect(keys).toEqual([["tasks"], ["queues"], ["video", "v"], ["videos"]]);
  });
  it("a finished task also refreshes the video's results and summary", () => {
    const keys = keysFor("task", { task_id: "t", video_id: "v", task_type: "ocr", status: "completed" });
    expect(keys).toContainEqual(["artifacts", "v"]);
    expect(keys).toContainEqual(["summary", "v"]);
    const blocked = keysFor("task", { task_id: "t", video_id: "v", task_type: "ocr", status: "blocked" });
    expect(blocked).toContainEqual(["health"]); // its analysis cannot run: /health says why
  });
  it("a video event refreshes the library; unknown events nothing", () => {
    expect(keysFor("video", { video_id: "v", status: "missing" })).toContainEqual(["videos"]);
    expect(keysFor("ping", {})).toEqual([]);
  });
  it("listens only once the session is known and, with a token required, signed in", () => {
    expect(liveEventsUrl(undefined)).toBeNull();
    expect(liveEventsUrl({ auth_required: true, signed_in: false })).toBeNull();
    expect(liveEventsUrl({ auth_required: true, signed_in: true })).toBe(EVENTS_URL);
    expect(liveEventsUrl({ auth_required: false, signed_in: false })).toBe(EVENTS_URL);
  });
  it("a burst of events is one refresh per key", () => {
    const b = new Batcher();
    for (let i = 0; i < 100; i++) b.add(keysFor("task", { task_id: String(i), video_id: "v", task_type: "ocr", status: "running" }));
    expect(b.take()).toHaveLength(4);
    expect(b.take()).toEqual([]);
  });
});

describe("http pieces", () => {
  it("reads the CSRF cookie among others", () => {
    expect(cookieValue("a=1; reelscan_csrf=abc%3D; b=2", "reelscan_csrf")).toBe("abc=");
    expect(cookieValue("reelscan_csrfx=1", "reelscan_csrf")).toBeNull();
    expect(cookieValue("", "reelscan_csrf")).toBeNull();
  });
  it("says what the API said", () => {
    expect(detailText({ detail: "video not found" }, "x")).toBe("video not found");
    expect(detailText({ detail: [{ loc: ["query", "limit"], msg: "too big" }] }, "x")).toBe("limit: too big");
    expect(detailText(null, "Bad Gateway")).toBe("Bad Gateway");
  });
  it("returns from sign-in only to a page of the app", () => {
    expect(safeNext("/videos/1?t=3")).toBe("/videos/1?t=3");
    for (const bad of [null, "", "https://evil.example", "//evil.example", "/sign-in?next=/x"]) expect(safeNext(bad)).toBe("/");
  });
});
