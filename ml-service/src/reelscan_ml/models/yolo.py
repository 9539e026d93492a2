"""Object detection with ultralytics YOLO11n.

Trained COCO weights are used when ``yolo11n.pt`` is in MODEL_CACHE_DIR. Without
them (no download is possible offline) the network is built from
``yolo11n.yaml``: same architecture and compute, random weights, and the
profile says ``untrained``.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

import numpy as np

from reelscan_ml.models.base import Model


class YoloDetector(Model):
    name = "yolo_objects"
    library = "ultralytics"
    weights_file = "yolo11n.pt"
    architecture = "yolo11n.yaml"
    trained_profile = "yolo11n-coco"
    untrained_profile = "yolo11n-untrained-random-init"

    def _load(self) -> None:
        from ultralytics import YOLO

        self.library_version = version("ultralytics")
        weights = self.cached(self.weights_file)
        if weights is not None:
            self._model, self.profile, self.trained = YOLO(str(weights)), self.trained_profile, True
        else:
            self._model, self.profile, self.trained = YOLO(self.architecture), self.untrained_profile, False
        self.names: dict[int, str] = dict(self._model.names)
        if all(str(name).isdigit() for name in self.names.values()):
            # The bare architecture has no class names; it has COCO's 80 outputs, so use COCO's.
            from ultralytics.utils import ROOT, YAML

            self.names = dict(YAML.load(ROOT / "cfg/datasets/coco.yaml")["names"])

    def predict(self, frames: list[np.ndarray], min_confidence: float,
                max_det: int = 100) -> list[list[dict[str, Any]]]:
        """Per frame: a list of {label, class_id, confidence, box}."""
        with self.predict_lock:
            results = self._model.predict(frames, conf=min_confidence, device=self.device, verbose=False,
                                          max_det=max_det)
        out = []
        for result in results:
            boxes = result.boxes
            out.append([
                {"label": self.names.get(int(c), str(int(c))), "class_id": int(c), "confidence": float(p),
                 "box": [float(v) for v in xyxy]}
                for xyxy, p, c in zip(boxes.xyxy.tolist(), boxes.conf.tolist(), boxes.cls.tolist(), strict=True)
            ])
        return out
