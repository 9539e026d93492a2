"""Analyses that look at sampled frames: objects, faces, OCR, places."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reelscan_ml import frames
from reelscan_ml.analyzers.base import Analyzer, AnalyzerOutput, register
from reelscan_ml.analyzers.configs import FaceConfig, FrameConfig, OCRConfig, PlacesConfig
from reelscan_ml.models.base import Model
from reelscan_ml.models.faces import FaceDetector
from reelscan_ml.models.ocr import TextReader
from reelscan_ml.models.places import PlaceClassifier
from reelscan_ml.models.registry import ModelRegistry
from reelscan_ml.models.yolo import YoloDetector

YOLO_BATCH = 8


def _output(model: Model, items: list[dict[str, Any]], path: Path, producer: str) -> AnalyzerOutput:
    return AnalyzerOutput(items=items, duration_ms=frames.duration_ms(path), producer=producer,
                          library=model.library, library_version=model.library_version, model_profile=model.profile)


def _box(coords: list[float]) -> dict[str, float]:
    x1, y1, x2, y2 = (max(float(v), 0.0) for v in coords)
    return {"x1": x1, "y1": y1, "x2": max(x2, x1), "y2": max(y2, y1)}


def _instant(frame: frames.Frame, payload: dict[str, Any]) -> dict[str, Any]:
    return {"span_start_ms": frame.ms, "span_end_ms": frame.ms, "payload": payload}


def _frame_fields(frame: frames.Frame) -> dict[str, Any]:
    return {"frame_ms": frame.ms, "frame_width": frame.width, "frame_height": frame.height}


def run_objects(path: Path, cfg: FrameConfig, registry: ModelRegistry) -> AnalyzerOutput:
    model = registry.get(YoloDetector)
    items: list[dict[str, Any]] = []
    batch: list[frames.Frame] = []

    def flush() -> None:
        predictions = model.predict([f.rgb for f in batch], cfg.min_confidence, cfg.max_detections)
        for frame, detections in zip(batch, predictions, strict=True):
            items.extend(_instant(frame, {**_frame_fields(frame), "label": d["label"], "class_id": d["class_id"],
                                          "confidence": d["confidence"], "box": _box(d["box"])})
                         for d in detections)
        batch.clear()

    for frame in frames.sample_frames(path, cfg.frame_interval_s, cfg.max_frames):
        batch.append(frame)
        if len(batch) == YOLO_BATCH:
            flush()
    if batch:
        flush()
    return _output(model, items, path, "reelscan-ml/objects")


def _boxes_per_frame(model: Model, path: Path, cfg: FrameConfig, extra_fields: tuple[str, ...]) -> list[dict[str, Any]]:
    """One instant artifact per box the model finds in each sampled frame."""
    return [
        _instant(frame, {**_frame_fields(frame), **{k: d[k] for k in extra_fields},
                         "confidence": d["confidence"], "box": _box(d["box"])})
        for frame in frames.sample_frames(path, cfg.frame_interval_s, cfg.max_frames)
        for d in model.predict(frame.rgb, cfg.min_confidence)
    ]


def run_faces(path: Path, cfg: FaceConfig, registry: ModelRegistry) -> AnalyzerOutput:
    model = registry.get(FaceDetector)
    return _output(model, _boxes_per_frame(model, path, cfg, ()), path, "reelscan-ml/faces")


def run_ocr(path: Path, cfg: OCRConfig, registry: ModelRegistry) -> AnalyzerOutput:
    model = registry.get(TextReader)
    return _output(model, _boxes_per_frame(model, path, cfg, ("text",)), path, "reelscan-ml/ocr")


def run_places(path: Path, cfg: PlacesConfig, registry: ModelRegistry) -> AnalyzerOutput:
    model = registry.get(PlaceClassifier)
    items = [
        _instant(frame, {"frame_ms": frame.ms, "top_k": model.predict(frame.rgb, cfg.top_k)})
        for frame in frames.sample_frames(path, cfg.frame_interval_s, cfg.max_frames)
    ]
    return _output(model, items, path, "reelscan-ml/places")


register(Analyzer("objects", "object_detection", FrameConfig, run_objects))
register(Analyzer("faces", "face_detection", FaceConfig, run_faces))
register(Analyzer("ocr", "ocr_text", OCRConfig, run_ocr))
register(Analyzer("places", "place_classification", PlacesConfig, run_places))
