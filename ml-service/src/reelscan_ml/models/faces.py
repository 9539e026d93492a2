"""Face detection.

With ``yolov11n-face.pt`` in MODEL_CACHE_DIR, a YOLO face model runs. Otherwise
OpenCV's trained Haar frontal-face cascade (shipped inside opencv-python) runs:
a real, trained detector that needs no download.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

# Imported here, once, not inside predict(): cv2's loader is not safe to run from two
# inference threads at once ("module 'cv2' has no attribute 'data'").
import cv2
import numpy as np

from reelscan_ml.models.base import Model


class FaceDetector(Model):
    name = "faces"
    library = "opencv"
    weights_file = "yolov11n-face.pt"

    def _load(self) -> None:
        weights = self.cached(self.weights_file)
        if weights is not None:
            from ultralytics import YOLO

            self._yolo = YOLO(str(weights))
            self.library, self.library_version = "ultralytics", version("ultralytics")
            self.profile, self.trained = "yolov11n-face", True
            return
        self._cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
        if self._cascade.empty():
            raise RuntimeError("OpenCV's Haar face cascade could not be loaded")
        self._yolo = None
        self.library_version = cv2.__version__
        self.profile, self.trained = "opencv-haar-frontalface-default", True

    def predict(self, frame: np.ndarray, min_confidence: float) -> list[dict[str, Any]]:
        if self._yolo is not None:
            with self.predict_lock:
                boxes = self._yolo.predict(frame, conf=min_confidence, device=self.device, verbose=False)[0].boxes
            return [{"confidence": float(p), "box": [float(v) for v in xyxy]}
                    for xyxy, p in zip(boxes.xyxy.tolist(), boxes.conf.tolist(), strict=True)]
        gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
        rects, _levels, weights = self._cascade.detectMultiScale3(
            gray, scaleFactor=1.1, minNeighbors=5, minSize=(24, 24), outputRejectLevels=True
        )
        faces = []
        for (x, y, w, h), weight in zip(rects, np.ravel(weights) if len(rects) else [], strict=False):
            # The cascade's stage-sum weight is unbounded; squash it into (0, 1).
            confidence = float(1.0 / (1.0 + np.exp(-float(weight))))
            if confidence >= min_confidence:
                faces.append({"confidence": confidence, "box": [float(x), float(y), float(x + w), float(y + h)]})
        return faces
