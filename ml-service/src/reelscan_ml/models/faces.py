"""Face detection with OpenCV's trained Haar frontal-face cascade, which ships
inside opencv-python: a real detector that needs no download. (The
``yolov11n-face`` profile runs through models/yolo.py instead.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

# Imported here, once, not inside predict: cv2's loader is not safe to run from two
# inference threads at once ("module 'cv2' has no attribute 'data'").
import cv2
import numpy as np

from reelscan_ml.models.base import Model, WeightsLocation

_CASCADE = "haarcascade_frontalface_default.xml"


class HaarFaceDetector(Model):
    library = "opencv"

    def packaged_weights(self) -> Path | None:
        path = Path(cv2.data.haarcascades) / _CASCADE
        return path if path.exists() else None

    def _load(self, where: WeightsLocation) -> None:
        self._cascade = cv2.CascadeClassifier(str(where.path))
        if self._cascade.empty():
            raise RuntimeError(f"OpenCV could not read the Haar cascade {where.path}")
        self.library_version = cv2.__version__
        self.profile = "opencv-haar-frontalface-default"

    def _unload(self) -> None:
        del self._cascade

    def predict_batch(self, inputs: list[np.ndarray], cfg: Any) -> list[list[dict[str, Any]]]:
        # OpenCV's CascadeClassifier is not thread-safe: two requests detecting at once on
        # the shared cascade (GPU_CONCURRENCY > 1) came back with no face at all.
        with self.predict_lock:
            return [self._detect(frame, cfg.min_confidence, cfg.max_detections) for frame in inputs]

    def _detect(self, frame: np.ndarray, min_confidence: float, max_detections: int) -> list[dict[str, Any]]:
        gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
        rects, _levels, weights = self._cascade.detectMultiScale3(
            gray, scaleFactor=1.1, minNeighbors=5, minSize=(24, 24), outputRejectLevels=True
        )
        faces: list[dict[str, Any]] = []
        for (x, y, w, h), weight in zip(rects, np.ravel(weights) if len(rects) else [], strict=False):
            # The cascade's stage-sum weight is unbounded; squash it into (0, 1).
            confidence = float(1.0 / (1.0 + np.exp(-float(weight))))
            if confidence >= min_confidence:
                faces.append({"confidence": confidence, "box": [float(x), float(y), float(x + w), float(y + h)]})
        faces.sort(key=lambda f: -f["confidence"])
        return faces[:max_detections]
