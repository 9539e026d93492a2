"""Analyses that look at sampled frames: objects, faces, OCR, places.

Each runs the same loop (frames decoded ahead in batches, one model call per
batch under the gate) and differs only in how a model result becomes payloads.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from reelscan_ml import frames
from reelscan_ml.analyzers.base import AnalyzerOutput
from reelscan_ml.pipeline import InferenceContext
from reelscan_shared.schemas.configs import FacesConfig, ObjectsConfig, OCRConfig, PlacesConfig

# (frame, one model result for it) -> payloads
ToPayloads = Callable[[frames.Frame, Any], list[dict[str, Any]]]


def _box(coords: list[float]) -> dict[str, float]:
    x1, y1, x2, y2 = (max(float(v), 0.0) for v in coords)
    return {"x1": x1, "y1": y1, "x2": max(x2, x1), "y2": max(y2, y1)}


def _frame_fields(frame: frames.Frame) -> dict[str, Any]:
    return {"frame_ms": frame.ms, "frame_width": frame.width, "frame_height": frame.height}


def detections(*fields: str) -> ToPayloads:
    """One payload per box, carrying the frame's size and the named extra fields."""
    def to_payloads(frame: frames.Frame, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**_frame_fields(frame), **{k: d[k] for k in fields}, "confidence": d["confidence"],
                 "box": _box(d["box"])} for d in found]
    return to_payloads


def places(frame: frames.Frame, top_k: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"frame_ms": frame.ms, "top_k": top_k}]


async def _run_on_frames(ctx: InferenceContext, path: Path, cfg: Any, producer: str,
                         to_payloads: ToPayloads) -> AnalyzerOutput:
    async with ctx.use_model() as model:
        items: list[dict[str, Any]] = []
        async for batch in ctx.frame_batches(path, cfg.frame_interval_s, cfg.max_frames, model.batch_size,
                                             model.pixel_format):
            results = await ctx.model_call(model, [f.rgb for f in batch], cfg)
            items.extend({"span_start_ms": frame.ms, "span_end_ms": frame.ms, "payload": payload}
                         for frame, result in zip(batch, results, strict=True)
                         for payload in to_payloads(frame, result))
        return AnalyzerOutput(items=items, duration_ms=await ctx.in_thread(frames.duration_ms, path),
                              producer=producer, library=model.library, library_version=model.library_version,
                              model_profile=model.profile)


# How each model's per-frame result becomes payloads (unit-tested against the payload models).
OBJECTS = detections("label", "class_id")
FACES = detections()
OCR = detections("text")


async def run_objects(ctx: InferenceContext, path: Path, cfg: ObjectsConfig) -> AnalyzerOutput:
    return await _run_on_frames(ctx, path, cfg, "reelscan-ml/objects", OBJECTS)


async def run_faces(ctx: InferenceContext, path: Path, cfg: FacesConfig) -> AnalyzerOutput:
    return await _run_on_frames(ctx, path, cfg, "reelscan-ml/faces", FACES)


async def run_ocr(ctx: InferenceContext, path: Path, cfg: OCRConfig) -> AnalyzerOutput:
    return await _run_on_frames(ctx, path, cfg, "reelscan-ml/ocr", OCR)


async def run_places(ctx: InferenceContext, path: Path, cfg: PlacesConfig) -> AnalyzerOutput:
    return await _run_on_frames(ctx, path, cfg, "reelscan-ml/places", places)
