"""On-screen text with RapidOCR: PaddleOCR's PP-OCR detector and recogniser as ONNX
models run by onnxruntime. The models ship inside the ``rapidocr`` wheel (Apache-2.0),
so nothing is downloaded; on this project's 2-core machine it read a 720p frame 6.5x
faster than EasyOCR with the same words (README, "OCR engines")."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

from reelscan_ml.models.base import Model, WeightsLocation


class RapidOCRReader(Model):
    library = "rapidocr"
    pixel_format = "bgr24"  # it reads images as OpenCV does

    def packaged_weights(self) -> Path | None:
        try:
            import rapidocr
        except ImportError:
            return None
        models = Path(rapidocr.__file__).parent / "models"
        return models if models.is_dir() else None

    def _load(self, where: WeightsLocation) -> None:  # noqa: ARG002 - rapidocr finds its packaged models
        from rapidocr import RapidOCR

        self.library_version = version("rapidocr")
        # Every reading comes back (text_score 0); min_confidence filters per request.
        self._engine = RapidOCR(params={"Global.log_level": "critical", "Global.text_score": 0.0})
        self.profile = f"{self.spec.name}-{version('rapidocr')}"

    def _unload(self) -> None:
        del self._engine

    def predict_batch(self, inputs: list[np.ndarray], cfg: Any) -> list[list[dict[str, Any]]]:
        with self.predict_lock:  # one engine, its sessions shared: one frame at a time
            return [self._read(frame, cfg.min_confidence, cfg.max_detections) for frame in inputs]

    def _read(self, frame: np.ndarray, min_confidence: float, max_detections: int) -> list[dict[str, Any]]:
        from rapidocr.utils.output import RapidOCROutput

        result = self._engine(frame)
        if not isinstance(result, RapidOCROutput) or result.boxes is None or result.txts is None:
            return []
        found: list[dict[str, Any]] = []
        for points, text, score in zip(result.boxes, result.txts, result.scores or (), strict=True):
            if not str(text).strip() or float(score) < min_confidence:
                continue
            xs, ys = points[:, 0], points[:, 1]
            found.append({"text": str(text).strip(), "confidence": float(score),
                          "box": [max(float(xs.min()), 0.0), max(float(ys.min()), 0.0), float(xs.max()),
                                  float(ys.max())]})
        found.sort(key=lambda d: -d["confidence"])
        return found[:max_detections]
