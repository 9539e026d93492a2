"""Analyses that look at sampled frames: objects, faces, OCR, places.

Each runs the same loop (frames decoded ahead in batches, one model call per batch
under the gate) and differs only in how a model's result for a frame becomes per-frame
payloads (version 1). Those are the response for ``"emit": "frames"``; otherwise they
are linked into spans (version 2) by the analysis's ``combine``, the function the
worker uses to link the frames of a long video's segments. OCR also skips frames that
have not changed since the last one it read, and reuses that reading.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from reelscan_ml import frames
from reelscan_ml.analyzers.base import AnalyzerOutput
from reelscan_ml.analyzers.text_filter import text_filter
from reelscan_ml.pipeline import InferenceContext
from reelscan_shared.analyses import ANALYSES
from reelscan_shared.combine import box_dict
from reelscan_shared.metrics import INFERENCE_FRAMES
from reelscan_shared.schemas.configs import FacesConfig, ObjectsConfig, OCRConfig, PlacesConfig


@dataclass(frozen=True)
class Sample:
    """What a frame analysis keeps of one sampled frame: never its pixels."""

    frame_ms: int
    width: int
    height: int
    result: Any  # the model's result for the frame


# (sampled frame, one model result for it) -> per-frame payloads (version 1)
ToPayloads = Callable[[Sample], list[dict[str, Any]]]


def clip_box(coords: Sequence[float]) -> tuple[float, float, float, float]:
    """Detectors round box edges outwards (below 0) and may swap corners."""
    x1, y1, x2, y2 = (max(float(v), 0.0) for v in coords)
    return x1, y1, max(x2, x1), max(y2, y1)


def _frame_fields(sample: Sample) -> dict[str, Any]:
    return {"frame_ms": sample.frame_ms, "frame_width": sample.width, "frame_height": sample.height}


def detections(*fields: str) -> ToPayloads:
    """One payload per box, carrying the frame's size and the named extra fields."""
    def to_payloads(sample: Sample) -> list[dict[str, Any]]:
        return [{**_frame_fields(sample), **{k: d[k] for k in fields}, "confidence": d["confidence"],
                 "box": box_dict(clip_box(d["box"]))} for d in sample.result]
    return to_payloads


def places(sample: Sample) -> list[dict[str, Any]]:
    return [{"frame_ms": sample.frame_ms, "top_k": sample.result}]


@dataclass(frozen=True)
class FrameAnalysis:
    producer: str
    per_frame: ToPayloads  # version 1


OBJECTS = FrameAnalysis("reelscan-ml/objects", detections("label", "class_id"))
FACES = FrameAnalysis("reelscan-ml/faces", detections())
OCR = FrameAnalysis("reelscan-ml/ocr", detections("text"))
PLACES = FrameAnalysis("reelscan-ml/places", places)

# A frame counts as changed when more than CHANGED_PIXELS of its pixels differ by more
# than PIXEL_DELTA grey levels from the last frame read: one changed character (~100
# pixels at 720p) is a change, encoder noise on a still frame is not.
PIXEL_DELTA = 30
CHANGED_PIXELS = 16


class ReuseUnchanged:
    """Picks the frames worth reading: those that differ from the last frame read. The
    others take that frame's result."""

    def __init__(self) -> None:
        self._reference: np.ndarray | None = None  # grey levels of the last frame read
        self._result: Any = None  # and what was read in it

    def plan(self, batch: list[frames.Frame]) -> tuple[list[int], list[int]]:
        """(indices to read, and for each frame the index in the batch of the frame whose
        result it takes, -1 for the last frame read before this batch)."""
        read: list[int] = []
        source: list[int] = []
        reference = self._reference
        for i, frame in enumerate(batch):
            grey = cv2.cvtColor(frame.rgb, cv2.COLOR_RGB2GRAY)
            if reference is None or grey.shape != reference.shape or int(np.count_nonzero(
                    cv2.absdiff(grey, reference) > PIXEL_DELTA)) > CHANGED_PIXELS:
                read.append(i)
                reference = grey
            source.append(read[-1] if read else -1)
        self._reference = reference
        return read, source

    def results(self, read: list[int], source: list[int], results: list[Any]) -> list[Any]:
        by_index = dict(zip(read, results, strict=True))
        out = [by_index[s] if s >= 0 else self._result for s in source]
        if read:
            self._result = by_index[read[-1]]
        return out


async def _run_on_frames(ctx: InferenceContext, path: Path, cfg: Any, analysis: FrameAnalysis) -> AnalyzerOutput:
    reuse = ReuseUnchanged() if getattr(cfg, "reuse_unchanged", False) else None
    async with ctx.use_model() as model:
        items: list[dict[str, Any]] = []
        async for batch in ctx.frame_batches(path, cfg.frame_interval_s, cfg.max_frames, model.batch_size,
                                             model.pixel_format):
            everything = list(range(len(batch)))
            read, source = await ctx.in_thread(reuse.plan, batch) if reuse else (everything, everything)
            results = await ctx.model_call(model, [batch[i].rgb for i in read], cfg) if read else []
            if reuse:
                results = reuse.results(read, source, results)
            INFERENCE_FRAMES.labels(ctx.analysis, "read").inc(len(read))
            INFERENCE_FRAMES.labels(ctx.analysis, "reused").inc(len(batch) - len(read))
            for frame, result in zip(batch, results, strict=True):
                items.extend({"span_start_ms": frame.ms, "span_end_ms": frame.ms, "payload": payload}
                             for payload in analysis.per_frame(Sample(frame.ms, frame.width, frame.height, result)))
        combined = ANALYSES[ctx.analysis].combine(items, cfg.model_dump())
        return AnalyzerOutput(items=combined.items, duration_ms=await ctx.in_thread(frames.duration_ms, path),
                              producer=analysis.producer, library=model.library,
                              library_version=model.library_version, model_profile=model.profile,
                              schema_version=combined.schema_version)


async def run_objects(ctx: InferenceContext, path: Path, cfg: ObjectsConfig) -> AnalyzerOutput:
    return await _run_on_frames(ctx, path, cfg, OBJECTS)


async def run_faces(ctx: InferenceContext, path: Path, cfg: FacesConfig) -> AnalyzerOutput:
    return await _run_on_frames(ctx, path, cfg, FACES)


async def run_ocr(ctx: InferenceContext, path: Path, cfg: OCRConfig) -> AnalyzerOutput:
    keep = text_filter(ctx.text_langs if cfg.only_langs else None, cfg.min_text_chars)
    to_payloads = OCR.per_frame
    analysis = FrameAnalysis(OCR.producer, lambda s: to_payloads(Sample(s.frame_ms, s.width, s.height, keep(s.result))))
    return await _run_on_frames(ctx, path, cfg, analysis)


async def run_places(ctx: InferenceContext, path: Path, cfg: PlacesConfig) -> AnalyzerOutput:
    return await _run_on_frames(ctx, path, cfg, PLACES)
