import { describe, expect, it } from "vitest";
import { formatDuration, formatT, formatTime, parseT } from "./time";

describe("formatTime", () => {
  it("writes minutes and seconds, hours only when needed", () => {
    expect(formatTime(0)).toBe("0:00");
    expect(formatTime(65_000)).toBe("1:05");
    expect(formatTime(3_723_000)).toBe("1:02:03");
    expect(formatTime(59_999)).toBe("0:59");
  });
  it("adds tenths on request without rounding into a wrong second", () => {
    expect(formatTime(12_345, true)).toBe("0:12.3");
    expect(formatTime(59_999, true)).toBe("0:59.9");
    expect(formatTime(-1500, true)).toBe("-0:01.5");
  });
  it("says when the length is unknown", () => {
    expect(formatDuration(null)).toBe("unknown length");
    expect(formatDuration(90_000)).toBe("1:30");
  });
});

describe("the t parameter", () => {
  it("reads seconds and clock forms", () => {
    expect(parseT("12.3")).toBe(12_300);
    expect(parseT("1:02")).toBe(62_000);
    expect(parseT("1:02:03.5")).toBe(3_723_500);
    expect(parseT(" 7 ")).toBe(7000);
  });
  it("refuses what it cannot read", () => {
    for (const bad of [null, undefined, "", "abc", "-3", "1:2:3:4", "1.5:10", "12s", "1e3"]) expect(parseT(bad)).toBeNull();
  });
  it("round-trips through formatT at a tenth of a second", () => {
    expect(formatT(12_340)).toBe("12.3");
    expect(formatT(12_000)).toBe("12");
    expect(formatT(-5)).toBe("0");
    for (const ms of [0, 100, 12_300, 3_723_500]) expect(parseT(formatT(ms))).toBe(ms);
  });
});
