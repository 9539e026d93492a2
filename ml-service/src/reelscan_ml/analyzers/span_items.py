"""Spans from the per-frame results of a frame analysis (schema version 2 payloads):
tracks of objects and faces, spans of text, spans of one place. The linking itself is
``reelscan_shared.spans``; this module says what each span's payload holds."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from reelscan_shared.spans import Sighting, Span, link, normalise_text, runs


@dataclass(frozen=True)
class Sample:
    """What a frame analysis keeps of one sampled frame: never its pixels."""

    frame_ms: int
    width: int
    height: int
    result: Any  # the model's result for the frame


# (samples of a request, its config) -> items
ToSpans = Callable[[Sequence[Sample], Any], list[dict[str, Any]]]


def clip_box(coords: Sequence[float]) -> tuple[float, float, float, float]:
    """Detectors round box edges outwards (below 0) and may swap corners."""
    x1, y1, x2, y2 = (max(float(v), 0.0) for v in coords)
    return x1, y1, max(x2, x1), max(y2, y1)


def box_dict(box: tuple[float, float, float, float]) -> dict[str, float]:
    return {"x1": box[0], "y1": box[1], "x2": box[2], "y2": box[3]}


def max_gap_ms(cfg: Any) -> int:
    """How long a span may go unseen: ``max_gap_samples`` missed samples, plus half an
    interval for sampled frames that land a frame late."""
    interval_ms = cfg.frame_interval_s * 1000
    return int((cfg.max_gap_samples + 1) * interval_ms + interval_ms / 2)


def _linked(samples: Sequence[Sample], cfg: Any, key: Callable[[dict[str, Any]], str],
            fields: tuple[str, ...]) -> list[Span]:
    frames = [(s.frame_ms, [(key(d), Sighting(s.frame_ms, clip_box(d["box"]), float(d["confidence"]),
                                              {k: d[k] for k in fields})) for d in s.result])
              for s in samples]
    return link(frames, min_iou=cfg.min_iou, max_gap_ms=max_gap_ms(cfg), max_shift=cfg.max_shift)


def _item(span: Span, payload: dict[str, Any]) -> dict[str, Any]:
    return {"span_start_ms": span.start_ms, "span_end_ms": span.end_ms,
            "payload": {"start_ms": span.start_ms, "end_ms": span.end_ms, **payload}}


def tracks(*fields: str) -> ToSpans:
    """Objects (fields: label, class_id) or faces (none): boxes with the same fields linked
    across samples; the track keeps every sighting."""
    def to_spans(samples: Sequence[Sample], cfg: Any) -> list[dict[str, Any]]:
        if not samples:
            return []
        width, height = samples[0].width, samples[0].height
        return [_item(span, {
            **span.best.fields, "frame_width": width, "frame_height": height,
            "sightings": [{"frame_ms": s.frame_ms, "box": box_dict(s.box), "confidence": s.confidence}
                          for s in span.sightings],
            "best_confidence": span.best.confidence, "mean_confidence": span.mean_confidence,
        }) for span in _linked(samples, cfg, lambda d: "|".join(str(d[k]) for k in fields), fields)]
    return to_spans


def text_spans(samples: Sequence[Sample], cfg: Any) -> list[dict[str, Any]]:
    """The same words (case and spacing aside) at overlapping places on consecutive
    samples: one span, with the reading and the box of its most confident sighting."""
    if not samples:
        return []
    width, height = samples[0].width, samples[0].height
    return [_item(span, {
        "text": span.best.fields["text"], "frame_width": width, "frame_height": height,
        "box": box_dict(span.best.box), "best_confidence": span.best.confidence,
        "mean_confidence": span.mean_confidence, "sightings": len(span.sightings),
    }) for span in _linked(samples, cfg, lambda d: normalise_text(d["text"]), ("text",))]


def place_spans(samples: Sequence[Sample], _cfg: Any) -> list[dict[str, Any]]:
    """Consecutive samples whose most likely place is the same, as one span."""
    top = [(s.frame_ms, s.result[0]["label"], float(s.result[0]["score"]),
            {"label": s.result[0]["label"], "class_id": s.result[0]["class_id"]}) for s in samples if s.result]
    return [_item(span, {
        **span.sightings[0].fields, "best_score": span.best.confidence, "mean_score": span.mean_confidence,
        "samples": len(span.sightings),
    }) for span in runs(top)]
