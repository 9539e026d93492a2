"""Place classification: ResNet-18 with the 365 Places365 classes (torchvision).

Trained weights are used when ``resnet18_places365.pth.tar`` (the CSAIL
checkpoint) is in MODEL_CACHE_DIR; otherwise the network is built with random
weights and the profile says ``untrained``.
"""

from __future__ import annotations

from importlib.metadata import version
from importlib.resources import files
from typing import Any

import cv2  # at import time: see models/faces.py
import numpy as np

from reelscan_ml.models.base import Model

_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


def places365_labels() -> list[str]:
    text = files("reelscan_ml").joinpath("data/places365_categories.txt").read_text()
    return [line.strip() for line in text.splitlines() if line.strip()]


class PlaceClassifier(Model):
    name = "places365"
    library = "torchvision"
    weights_file = "resnet18_places365.pth.tar"

    def _load(self) -> None:
        import torch
        import torchvision

        self.library_version = version("torchvision")
        self.labels = places365_labels()
        net = torchvision.models.resnet18(num_classes=len(self.labels))
        weights = self.cached(self.weights_file)
        if weights is not None:
            checkpoint = torch.load(weights, map_location="cpu", weights_only=False)
            state = checkpoint.get("state_dict", checkpoint)
            net.load_state_dict({k.removeprefix("module."): v for k, v in state.items()})
            self.profile, self.trained = "resnet18-places365", True
        else:
            self.profile, self.trained = "resnet18-places365-untrained-random-init", False
        self._net = net.eval().to(self.device)
        self._torch = torch

    def predict(self, frame: np.ndarray, top_k: int) -> list[dict[str, Any]]:
        torch = self._torch
        img = cv2.resize(frame, (224, 224), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
        tensor = torch.from_numpy(((img - _MEAN) / _STD).transpose(2, 0, 1)).unsqueeze(0).to(self.device)
        with torch.inference_mode():
            probs = torch.softmax(self._net(tensor), dim=1)[0]
        scores, indices = probs.topk(min(top_k, len(self.labels)))
        return [{"label": self.labels[int(i)], "class_id": int(i), "score": float(s)}
                for s, i in zip(scores.tolist(), indices.tolist(), strict=True)]
