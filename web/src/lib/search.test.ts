import { describe, expect, it } from "vitest";
import { baseName, groupHits, highlightPieces, type Hit } from "./search";

function hit(id: string, video: string, score: number, ms: number): Hit {
  return { artifact_id: id, video_id: video, path: `/lib/${video}.mp4`, kind: "ocr", start_ms: ms, end_ms: ms + 1000,
    text: "x", highlight: "x", score, match_ms: ms, frame_url: "" };
}

describe("groupHits", () => {
  it("groups by video, best video first, hits in a group by time, no duplicates", () => {
    const groups = groupHits([hit("1", "a", 0.5, 9000), hit("2", "b", 0.9, 100), hit("3", "a", 0.7, 1000),
      hit("1", "a", 0.5, 9000)]);
    expect(groups.map((g) => g.videoId)).toEqual(["b", "a"]);
    expect(groups[1].hits.map((h) => h.artifact_id)).toEqual(["3", "1"]);
    expect(groups[1].best).toBe(0.7);
  });
  it("is empty for no hits", () => expect(groupHits([])).toEqual([]));
});

describe("highlightPieces", () => {
  it("splits the marked words out and unescapes the rest", () => {
    expect(highlightPieces("say <mark>hello</mark> &amp; <mark>bye</mark>!")).toEqual([
      { text: "say ", marked: false }, { text: "hello", marked: true }, { text: " & ", marked: false },
      { text: "bye", marked: true }, { text: "!", marked: false }]);
  });
  it("never turns text into markup", () => {
    const pieces = highlightPieces("&lt;script&gt;alert(1)&lt;/script&gt; <mark>x</mark>");
    expect(pieces[0]).toEqual({ text: "<script>alert(1)</script> ", marked: false });
  });
  it("names a video by its file", () => {
    expect(baseName("/videos/a/b.mp4")).toBe("b.mp4");
    expect(baseName("C:\\v\\c.mkv")).toBe("c.mkv");
  });
});
