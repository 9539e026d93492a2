"""The model registry: one lazily loaded, cached instance per model."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from reelscan_ml.models.base import Model
from reelscan_ml.models.faces import FaceDetector
from reelscan_ml.models.ocr import TextReader
from reelscan_ml.models.places import PlaceClassifier
from reelscan_ml.models.whisper import WhisperTranscriber
from reelscan_ml.models.yolo import YoloDetector

M = TypeVar("M", bound=Model)
MODEL_CLASSES: tuple[type[Model], ...] = (YoloDetector, FaceDetector, WhisperTranscriber, TextReader, PlaceClassifier)


class ModelRegistry:
    def __init__(self, cache_dir: Path, device: str) -> None:
        self.models: dict[type[Model], Model] = {cls: cls(cache_dir, device) for cls in MODEL_CLASSES}

    def get(self, cls: type[M]) -> M:
        """The loaded model (blocking: call from a worker thread)."""
        model = self.models[cls]
        model.load()
        return model  # type: ignore[return-value]

    def describe(self) -> dict[str, Any]:
        return {m.name: m.describe() for m in self.models.values()}
