"""Models are shared by the inference threads (GPU_CONCURRENCY > 1): concurrent
first calls must not break them (ultralytics sets its predictor up lazily)."""

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from reelscan_ml.analyzers.configs import FrameConfig
from reelscan_ml.models.profiles import OBJECTS
from reelscan_ml.models.yolo import UltralyticsDetector


def test_concurrent_first_predictions_on_one_yolo_model(tmp_path: Path) -> None:
    model = UltralyticsDetector(OBJECTS["yolo11n"], tmp_path, "cpu")
    model.load()
    frame = (np.random.default_rng(0).random((360, 640, 3)) * 255).astype(np.uint8)
    cfg = FrameConfig(min_confidence=0.0, max_detections=2)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: model.predict_batch([frame], cfg), range(8)))
    assert all(len(r) == 1 and len(r[0]) == 2 for r in results)
