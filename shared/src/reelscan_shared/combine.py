"""How the results of a task's segments become its artifacts.

A long video is analysed in segments (``SEGMENT_SECONDS`` of it per ML request). Each
segment's items are what the analysis saw *in that part* of the video:

- frame analyses: one version 1 row per thing per sampled frame (the worker asks for
  ``"emit": "frames"``), each sampled frame in exactly one segment;
- transcription: the sentences that start in the segment, each heard whole (the ML
  service listens past the segment's end and says where the next one must start);
- scenes: the scenes that start in the segment (a cut found there, or the video's
  start), and the part in it of a scene under way (``continues``), all cut at the
  segment's end.

``combine`` joins them as if the video had been analysed in one pass: frames are
linked into spans over the whole video (a track that crosses a boundary is one
track), and a scene under way at a boundary goes on (a boundary is not a cut). The
ML service uses the same functions for a request that covers a whole video, so one
pass and many segments give the same artifacts.

Plain Python over payload dicts; no framework.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from reelscan_shared.spans import Box, Sighting, Span, link, normalise_text, runs

Item = dict[str, Any]  # {"span_start_ms", "span_end_ms", "payload"}
Config = Mapping[str, Any]  # an analysis's config, as stored on the task


@dataclass(frozen=True)
class Combined:
    items: list[Item]
    schema_version: int


# (the items of every segment, in time order; the task's config) -> the artifacts' items
Combine = Callable[[Sequence[Item], Config], Combined]


def box_dict(box: Box) -> dict[str, float]:
    return {"x1": box[0], "y1": box[1], "x2": box[2], "y2": box[3]}


def _box(b: Mapping[str, float]) -> Box:
    return float(b["x1"]), float(b["y1"]), float(b["x2"]), float(b["y2"])


def max_gap_ms(cfg: Config) -> int:
    """How long a span may go unseen: ``max_gap_samples`` missed samples, plus half an
    interval for sampled frames that land a frame late."""
    interval_ms = float(cfg["frame_interval_s"]) * 1000
    return int((int(cfg["max_gap_samples"]) + 1) * interval_ms + interval_ms / 2)


def _frames(items: Iterable[Item]) -> list[tuple[int, list[dict[str, Any]]]]:
    """Per-frame payloads grouped by sampled frame, in time order."""
    payloads = sorted((item["payload"] for item in items), key=lambda p: int(p["frame_ms"]))
    return [(ms, list(group)) for ms, group in groupby(payloads, key=lambda p: int(p["frame_ms"]))]


def _linked(items: Iterable[Item], cfg: Config, key: Callable[[dict[str, Any]], str],
            fields: tuple[str, ...]) -> tuple[list[Span], dict[str, int]]:
    frames = _frames(items)
    size = {"frame_width": frames[0][1][0]["frame_width"], "frame_height": frames[0][1][0]["frame_height"]} \
        if frames else {}
    spans = link(((ms, [(key(p), Sighting(ms, _box(p["box"]), float(p["confidence"]), {k: p[k] for k in fields}))
                        for p in payloads]) for ms, payloads in frames),
                 min_iou=float(cfg["min_iou"]), max_gap_ms=max_gap_ms(cfg), max_shift=float(cfg["max_shift"]))
    return spans, size


def _item(span: Span, payload: dict[str, Any]) -> Item:
    return {"span_start_ms": span.start_ms, "span_end_ms": span.end_ms,
            "payload": {"start_ms": span.start_ms, "end_ms": span.end_ms, **payload}}


def tracks(*fields: str) -> Callable[[Sequence[Item], Config], list[Item]]:
    """Objects (fields: label, class_id) or faces (none): boxes with the same fields linked
    across samples; the track keeps every sighting."""
    def to_spans(items: Sequence[Item], cfg: Config) -> list[Item]:
        spans, size = _linked(items, cfg, lambda p: "|".join(str(p[k]) for k in fields), fields)
        return [_item(span, {
            **span.best.fields, **size,
            "sightings": [{"frame_ms": s.frame_ms, "box": box_dict(s.box), "confidence": s.confidence}
                          for s in span.sightings],
            "best_confidence": span.best.confidence, "mean_confidence": span.mean_confidence,
        }) for span in spans]
    return to_spans


def text_spans(items: Sequence[Item], cfg: Config) -> list[Item]:
    """The same words (case and spacing aside) at overlapping places on consecutive
    samples: one span, with the reading and the box of its most confident sighting."""
    spans, size = _linked(items, cfg, lambda p: normalise_text(p["text"]), ("text",))
    return [_item(span, {
        "text": span.best.fields["text"], **size, "box": box_dict(span.best.box),
        "best_confidence": span.best.confidence, "mean_confidence": span.mean_confidence,
        "sightings": len(span.sightings),
    }) for span in spans]


def place_spans(items: Sequence[Item], _cfg: Config) -> list[Item]:
    """Consecutive samples whose most likely place is the same, as one span."""
    top = [(ms, p["top_k"][0]["label"], float(p["top_k"][0]["score"]),
            {"label": p["top_k"][0]["label"], "class_id": p["top_k"][0]["class_id"]})
           for ms, payloads in _frames(items) for p in payloads[:1] if p["top_k"]]
    return [_item(span, {
        **span.sightings[0].fields, "best_score": span.best.confidence, "mean_score": span.mean_confidence,
        "samples": len(span.sightings),
    }) for span in runs(top)]


def spans_or_frames(to_spans: Callable[[Sequence[Item], Config], list[Item]]) -> Combine:
    """A frame analysis: spans over all the samples (version 2), or the per-frame rows
    themselves (version 1) when the config says ``"emit": "frames"``."""
    def combine(items: Sequence[Item], cfg: Config) -> Combined:
        if cfg.get("emit") == "frames":
            return Combined(sorted(items, key=lambda i: int(i["span_start_ms"])), 1)
        return Combined(to_spans(items, cfg), 2)
    return combine


def in_order(items: Sequence[Item], _cfg: Config) -> Combined:
    """Segments that own disjoint items (a sentence belongs to the segment it starts in)."""
    return Combined(sorted(items, key=lambda i: (int(i["span_start_ms"]), int(i["span_end_ms"]))), 1)


def scenes(items: Sequence[Item], _cfg: Config) -> Combined:
    """A segment's scenes start at cuts in it; its first item, when no cut is at its start,
    ``continues`` the scene under way and only extends it."""
    out: list[dict[str, Any]] = []
    for item in sorted(items, key=lambda i: (int(i["payload"]["start_frame"]), not i.get("continues"))):
        payload = item["payload"]
        if item.get("continues") and out:
            out[-1]["end_ms"], out[-1]["end_frame"] = payload["end_ms"], payload["end_frame"]
        elif not item.get("continues"):
            out.append({**payload, "scene_index": len(out)})
    return Combined([{"span_start_ms": p["start_ms"], "span_end_ms": p["end_ms"], "payload": p} for p in out], 1)
