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
    # Ultralytics reads numpy images as OpenCV does, BGR; the decoder produces BGR
    # directly rather than copying every frame to swap channels.
    pixel_format = "bgr24"

    def _load(self, where: WeightsLocation) -> None:
        from ultralytics import YOLO

        self.library_version = version("ultralytics")
        if where.weights == "trained":
            self._model = YOLO(str(where.path))
            self.profile = self.spec.name
        else:
            self._model = YOLO(self.spec.architecture)
            self.profile = f"{self.spec.name}-untrained-random-init"
        # Set the predictor up now, not on the first request: ultralytics builds it lazily
        # and not thread-safely, and its select_device() calls torch.set_num_threads(
        # cpu_count - 1) for the whole process, which on a 2-core host halves the speed
        # of every torch model here (YOLO11n at 1 fps over 60 s of 720p: 3.5 s -> 1.9 s
        # once restored; device.pin_torch_threads() restores it before every call).
        self._model.predict(np.zeros((64, 64, 3), np.uint8), device=self.device, verbose=False)
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
