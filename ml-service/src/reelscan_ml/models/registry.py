"""The model registry: the profile chosen for each analysis, loaded lazily,
unloaded after MODEL_TTL idle seconds, and described for /health and ``models list``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reelscan_ml.models import profiles
from reelscan_ml.models.base import Model
from reelscan_ml.models.blazeface import BlazeFaceDetector
from reelscan_ml.models.darknet import DarknetDetector
from reelscan_ml.models.faces import HaarFaceDetector
from reelscan_ml.models.ocr import EasyOCRReader
from reelscan_ml.models.ocr_rapid import RapidOCRReader
from reelscan_ml.models.openai_whisper import OpenAIWhisper
from reelscan_ml.models.places import Places365Classifier
from reelscan_ml.models.whisper import FasterWhisper
from reelscan_ml.models.yolo import UltralyticsDetector
from reelscan_shared.domain.tasks import TaskType

BACKENDS: dict[str, type[Model]] = {
    "ultralytics": UltralyticsDetector,
    "opencv-darknet": DarknetDetector,
    "opencv-haar": HaarFaceDetector,
    "blazeface": BlazeFaceDetector,
    "faster-whisper": FasterWhisper,
    "openai-whisper": OpenAIWhisper,
    "easyocr": EasyOCRReader,
    "rapidocr": RapidOCRReader,
    "torchvision-places": Places365Classifier,
}


class ModelRegistry:
    def __init__(self, chosen: dict[TaskType, profiles.ModelProfile], cache_dir: Path, device: str,
                 batch_size: int = 0) -> None:
        self.cache_dir = cache_dir
        self.models: dict[TaskType, Model] = {
            analysis: BACKENDS[spec.backend](spec, cache_dir, device, batch_size) for analysis, spec in chosen.items()
        }

    def __getitem__(self, analysis: TaskType) -> Model:
        return self.models[analysis]

    def unload_idle(self, ttl_s: float, now: float) -> list[TaskType]:
        """Unload models unused for ``ttl_s`` seconds (and not in use); returns their analyses."""
        return [a for a, m in self.models.items()
                if m.state == "ready" and not m.users and now - m.last_used >= ttl_s and m.unload()]

    def describe(self) -> dict[str, Any]:
        return {analysis: model.describe() for analysis, model in self.models.items()}
