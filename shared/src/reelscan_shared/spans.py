"""Linking what was seen on sampled frames into spans: tracks of objects and faces,
spans of on-screen text, spans of one place.

Plain Python, no framework: the ML service links the samples of one request, and the
same functions can join spans that meet at a segment boundary.

Linking is greedy and online, frame by frame in time order: a frame's detections, most
confident first, each join the open span with the same key (the label, the normalised
text) whose last box is closest, if that span was last seen at most ``max_gap_ms``
before and the boxes are close enough: they overlap by ``min_iou`` or more, or (with
``max_shift`` > 0) the centre moved at most ``max_shift`` box sizes and the size changed
less than twofold. Otherwise they start a span. A span takes at most one detection per
frame. This is IoU tracking (Bochinski et al., 2017) with a gap tolerance and a distance
rule for sparse sampling, where a moving thing's boxes a second apart often no longer
overlap; motion models and appearance features would add little at that rate.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

Box = tuple[float, float, float, float]  # x1, y1, x2, y2


@dataclass(frozen=True)
class Sighting:
    frame_ms: int
    box: Box
    confidence: float
    fields: dict[str, Any] = field(default_factory=dict)  # what the span carries (label, text)


@dataclass
class Span:
    key: str
    sightings: list[Sighting]

    @property
    def start_ms(self) -> int:
        return self.sightings[0].frame_ms

    @property
    def end_ms(self) -> int:
        return self.sightings[-1].frame_ms

    @property
    def best(self) -> Sighting:
        return max(self.sightings, key=lambda s: s.confidence)

    @property
    def mean_confidence(self) -> float:
        return sum(s.confidence for s in self.sightings) / len(self.sightings)


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two boxes; 0 for boxes that do not overlap."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def shift(a: Box, b: Box) -> float:
    """How far the centre moved, in sizes of the first box; inf if the size changed twofold."""
    size_a = max(a[2] - a[0], a[3] - a[1], 1e-9)
    size_b = max(b[2] - b[0], b[3] - b[1], 1e-9)
    if max(size_a, size_b) > 2 * min(size_a, size_b):
        return float("inf")
    dx = (b[0] + b[2] - a[0] - a[2]) / 2
    dy = (b[1] + b[3] - a[1] - a[3]) / 2
    return float((dx * dx + dy * dy) ** 0.5 / size_a)


def normalise_text(text: str) -> str:
    """What makes two readings the same text: case and runs of spaces do not count."""
    return re.sub(r"\s+", " ", text).strip().casefold()


def link(frames: Iterable[tuple[int, Sequence[tuple[str, Sighting]]]], *, min_iou: float,
         max_gap_ms: int, max_shift: float = 0.0) -> list[Span]:
    """Spans from (frame_ms, [(key, sighting), ...]) in time order, sorted by start."""
    finished: list[Span] = []
    open_spans: list[Span] = []
    for frame_ms, found in frames:
        still_open: list[Span] = []
        for span in open_spans:  # spans unseen for too long are over
            (still_open if frame_ms - span.end_ms <= max_gap_ms else finished).append(span)
        open_spans = still_open
        taken: set[int] = set()
        for key, sighting in sorted(found, key=lambda d: -d[1].confidence):
            # Closest first: the most overlap, then the smallest shift.
            candidates = [(-iou(last, sighting.box), shift(last, sighting.box), i)
                          for i, span in enumerate(open_spans) if i not in taken and span.key == key
                          for last in (span.sightings[-1].box,)]
            close = [c for c in candidates if -c[0] >= min_iou or c[1] <= max_shift]
            if close:
                best = min(close)[2]
                open_spans[best].sightings.append(sighting)
                taken.add(best)
            else:
                open_spans.append(Span(key, [sighting]))
                taken.add(len(open_spans) - 1)
    return sorted(finished + open_spans, key=lambda s: (s.start_ms, s.end_ms, s.key))


def runs(samples: Iterable[tuple[int, str, float, dict[str, Any]]]) -> list[Span]:
    """Consecutive samples (frame_ms, key, score, fields) with the same key, as spans:
    a place from the first to the last sample where it was the most likely one."""
    spans: list[Span] = []
    for frame_ms, key, score, fields in samples:
        sighting = Sighting(frame_ms, (0.0, 0.0, 0.0, 0.0), score, fields)
        if spans and spans[-1].key == key:
            spans[-1].sightings.append(sighting)
        else:
            spans.append(Span(key, [sighting]))
    return spans
