"""Ultralytics YOLO: object detection (COCO) and the YOLO face model.

Trained weights are ``<name>.pt`` in MODEL_CACHE_DIR. Without them an objects
profile is built from its architecture file (``yolo11n.yaml``): the same
network and compute with random weights, and its model_profile says
``untrained-random-init``.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

import numpy as np

from reelscan_ml.models.base import Model, WeightsLocation


class UltralyticsDetector(Model):
    library = "ultralytics"

    def _load(self, where: WeightsLocation) -> None:
        from ultralytics import YOLO

        self.library_version = version("ultralytics")
        if where.weights == "trained":
            self._model = YOLO(str(where.path))
            self.profile = self.spec.name
        else:
            self._model = YOLO(self.spec.architecture)
            self.profile = f"{self.spec.name}-untrained-random-init"
        self.names: dict[int, str] = dict(self._model.names)
        if self.spec.classes == "coco-80" and all(str(n).isdigit() for n in self.names.values()):
            # A bare architecture has no class names; it has COCO's 80 outputs, so use COCO's.
            from ultralytics.utils import ROOT, YAML

            self.names = dict(YAML.load(ROOT / "cfg/datasets/coco.yaml")["names"])

    def _unload(self) -> None:
        del self._model

    def predict_batch(self, inputs: list[np.ndarray], cfg: Any) -> list[list[dict[str, Any]]]:
        """Per frame: a list of {label, class_id, confidence, box (x1, y1, x2, y2 pixels)}."""
        with self.predict_lock:
            results = self._model.predict(inputs, conf=cfg.min_confidence, device=self.device, verbose=False,
                                          max_det=cfg.max_detections, batch=len(inputs))
        return [
            [{"label": self.names.get(int(c), str(int(c))), "class_id": int(c), "confidence": float(p),
              "box": [float(v) for v in xyxy]}
             for xyxy, p, c in zip(r.boxes.xyxy.tolist(), r.boxes.conf.tolist(), r.boxes.cls.tolist(), strict=True)]
            for r in results
        ]
