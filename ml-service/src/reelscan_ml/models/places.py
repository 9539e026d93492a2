"""Place classification: a ResNet with the 365 Places365 classes (torchvision).

Trained weights are the CSAIL checkpoint ``<arch>_places365.pth.tar`` in
MODEL_CACHE_DIR; otherwise the network is built with random weights and its
model_profile says ``untrained-random-init``.
"""

from __future__ import annotations

from importlib.metadata import version
from importlib.resources import files
from typing import Any

import cv2  # at import time: see models/faces.py
import numpy as np

from reelscan_ml.models.base import Model, WeightsLocation

_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


def places365_labels() -> list[str]:
    text = files("reelscan_ml").joinpath("data/places365_categories.txt").read_text()
    return [line.strip() for line in text.splitlines() if line.strip()]


class Places365Classifier(Model):
    library = "torchvision"

    def _load(self, where: WeightsLocation) -> None:
        import torch
        import torchvision

        self.library_version = version("torchvision")
        self.labels = places365_labels()
        net = getattr(torchvision.models, self.spec.architecture)(num_classes=len(self.labels))
        if where.weights == "trained" and where.path is not None:
            checkpoint = torch.load(where.path, map_location="cpu", weights_only=False)
            state = checkpoint.get("state_dict", checkpoint)
            net.load_state_dict({k.removeprefix("module."): v for k, v in state.items()})
            self.profile = self.spec.name
        else:
            self.profile = f"{self.spec.name}-untrained-random-init"
        self._net = net.eval().to(self.device)
        self._torch = torch

    def _unload(self) -> None:
        del self._net

    def predict_batch(self, inputs: list[np.ndarray], cfg: Any) -> list[list[dict[str, Any]]]:
        """Per frame: the top_k classes with softmax scores."""
        torch = self._torch
        size = self.spec.input_size or 224
        batch = np.stack([cv2.resize(f, (size, size), interpolation=cv2.INTER_AREA) for f in inputs])
        batch = ((batch.astype(np.float32) / 255.0 - _MEAN) / _STD).transpose(0, 3, 1, 2)
        with torch.inference_mode():
            probs = torch.softmax(self._net(torch.from_numpy(np.ascontiguousarray(batch)).to(self.device)), dim=1)
        scores, indices = probs.topk(min(cfg.top_k, len(self.labels)), dim=1)
        return [
            [{"label": self.labels[int(i)], "class_id": int(i), "score": float(s)}
             for s, i in zip(row_s, row_i, strict=True)]
            for row_s, row_i in zip(scores.tolist(), indices.tolist(), strict=True)
        ]
