"""Models are shared by the inference threads (GPU_CONCURRENCY > 1): concurrent
first calls must not break them (ultralytics sets its predictor up lazily)."""

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from reelscan_ml.models.profiles import OBJECTS
from reelscan_ml.models.yolo import UltralyticsDetector
from reelscan_shared.schemas.configs import ObjectsConfig


def test_concurrent_first_predictions_on_one_yolo_model(tmp_path: Path) -> None:
    model = UltralyticsDetector(OBJECTS["yolo11n"], tmp_path, "cpu")
    model.load()
    frame = (np.random.default_rng(0).random((360, 640, 3)) * 255).astype(np.uint8)
    cfg = ObjectsConfig(min_confidence=0.0, max_detections=2)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: model.predict_batch([frame], cfg), range(8)))
    assert all(len(r) == 1 and len(r[0]) == 2 for r in results)


CONCURRENT_FIRST_LOADS = """
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from reelscan_ml.models.registry import ModelRegistry
from reelscan_ml.settings import MLSettings
registry = ModelRegistry(MLSettings().profiles(), Path({cache!r}), "cpu")
with ThreadPoolExecutor(5) as pool:
    list(pool.map(lambda analysis: registry[analysis].load(), list(registry.models)))
print(sorted(a.value for a, m in registry.models.items() if m.state == "ready"))
"""


def test_first_loads_in_parallel_threads_of_a_fresh_process(tmp_path: Path) -> None:
    """Loading imports torchvision, ultralytics, easyocr: done by two threads at once in a
    fresh interpreter it failed with 'cannot import name ... partially initialized module'."""
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", CONCURRENT_FIRST_LOADS.format(cache=str(tmp_path))],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().endswith(
        "['face_detection', 'object_detection', 'ocr', 'place_detection', 'transcription']")


def test_concurrent_predictions_on_one_haar_cascade_agree_with_a_single_thread(tmp_path: Path) -> None:
    """OpenCV's CascadeClassifier is not thread-safe: two requests detecting at once on
    the shared model found no face at all (seen in an e2e run on a loaded machine)."""
    import cv2
    from skimage import data

    from reelscan_ml.models.faces import HaarFaceDetector
    from reelscan_ml.models.profiles import FACES
    from reelscan_shared.schemas.configs import FacesConfig

    model = HaarFaceDetector(FACES["opencv-haar"], tmp_path, "cpu")
    model.load()
    frame = np.zeros((360, 640, 3), np.uint8)
    frame[:, 140:500] = cv2.resize(data.astronaut(), (360, 360))
    cfg = FacesConfig()
    alone = model.predict_batch([frame], cfg)
    assert alone[0], "the astronaut's face is found"
    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(lambda _: model.predict_batch([frame], cfg), range(64)))
    assert all(r == alone for r in together)
