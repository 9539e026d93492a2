"""make bench-objects: the default object detector (OBJECTS_MODEL) on photographs whose
content is known, and its speed.

scikit-image's sample photographs, labelled in bench/data/objects-skimage.json (labels
expected in each, labels also really there, negatives). Each photograph is shown two
ways: as it is ("photo") and fitted into a 1280x720 frame with grey bars ("frame"), as
it looks in a video of it. Per threshold (min_confidence), counted per image and label:
a label found that is expected is a true positive, one neither expected nor allowed a
false positive, an expected label not found a false negative; precision and recall
follow. The detector runs once at the lowest threshold and the higher ones are read off
its detections (exact: greedy non-maximum suppression keeps the same boxes above a
threshold whatever it saw below it). Speed: seconds per 1280x720 frame, loading
excluded, at several batch sizes. Prints the figures and writes
${BENCH_OUT:-bench/results}/objects-<date>.json. No timed asserts.
"""

from __future__ import annotations

import json
import os
import platform
import time
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
OUT = Path(os.environ.get("BENCH_OUT", REPO / "bench" / "results"))
LABELS = REPO / "bench" / "data" / "objects-skimage.json"
THRESHOLDS = (0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6)
FRAME = (1280, 720)


def photo(name: str) -> np.ndarray:
    import skimage.data

    image = getattr(skimage.data, name)()
    image = image[0] if isinstance(image, tuple) else image  # stereo_motorcycle: (left, right, disparity)
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    return np.ascontiguousarray(image[..., :3])


def in_frame(image: np.ndarray) -> np.ndarray:
    width, height = FRAME
    scale = min(width / image.shape[1], height / image.shape[0])
    w, h = round(image.shape[1] * scale), round(image.shape[0] * scale)
    frame = np.full((height, width, 3), 40, np.uint8)
    x, y = (width - w) // 2, (height - h) // 2
    frame[y:y + h, x:x + w] = cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA)
    return frame


def scores(found: dict[str, dict[str, float]], truth: dict[str, dict[str, list[str]]], threshold: float) -> dict:
    tp = fp = fn = 0
    for name, labels in truth.items():
        seen = {label for label, conf in found[name].items() if conf >= threshold}
        expected, allowed = set(labels["expected"]), set(labels["allowed"])
        tp += len(seen & expected)
        fp += len(seen - expected - allowed)
        fn += len(expected - seen)
    return {"min_confidence": threshold, "tp": tp, "fp": fp, "fn": fn,
            "precision": round(tp / (tp + fp), 3) if tp + fp else None,
            "recall": round(tp / (tp + fn), 3) if tp + fn else None}


def main() -> None:
    from reelscan_ml.device import set_torch_threads
    from reelscan_ml.models.darknet import cpu_threads
    from reelscan_ml.models.registry import ModelRegistry
    from reelscan_ml.settings import MLSettings
    from reelscan_shared.domain.tasks import TaskType
    from reelscan_shared.schemas.configs import ObjectsConfig

    settings = MLSettings(MODEL_CACHE_DIR=str(REPO / ".reelscan" / "models"))
    set_torch_threads(settings.torch_threads)
    model = ModelRegistry(settings.profiles(), settings.model_cache_dir.resolve(), "cpu")[TaskType.OBJECT_DETECTION]
    model.load()
    truth = json.loads(LABELS.read_text())["images"]
    low = ObjectsConfig(min_confidence=min(THRESHOLDS))
    views = {"photo": lambda im: im, "frame": in_frame}
    results: dict = {"model_profile": model.profile, "library_version": model.library_version,
                     "weights": model.where.weights, "source": model.where.source, "views": {}}
    for view, show in views.items():
        found: dict[str, dict[str, float]] = {}
        for name in truth:
            image = show(photo(name))
            if model.pixel_format == "bgr24":
                image = np.ascontiguousarray(image[..., ::-1])
            best: dict[str, float] = {}
            for d in model.predict_batch([image], low)[0]:
                best[d["label"]] = max(best.get(d["label"], 0.0), round(d["confidence"], 3))
            found[name] = best
        table = [scores(found, truth, t) for t in THRESHOLDS]
        results["views"][view] = {"found": found, "by_threshold": table}
        print(f"{model.profile}, {view}s ({len(truth)} images):")
        print("  min_conf  TP  FP  FN  precision  recall")
        for row in table:
            print(f"  {row['min_confidence']:8.2f} {row['tp']:3d} {row['fp']:3d} {row['fn']:3d}  "
                  f"{row['precision'] if row['precision'] is not None else '-':>9}  {row['recall']:>6}")
        print("  found (best confidence per label):")
        for name, best in found.items():
            print(f"    {name:22} {best}")
    frames = [in_frame(photo(name)) for name in ("astronaut", "chelsea", "coffee", "stereo_motorcycle")] * 6
    speed = {}
    for batch in (1, 4, 8):
        model.predict_batch(frames[:batch], low)  # warm
        started = time.perf_counter()
        for i in range(0, len(frames), batch):
            model.predict_batch(frames[i:i + batch], low)
        speed[str(batch)] = round((time.perf_counter() - started) / len(frames), 4)
    results["seconds_per_frame"] = {"frame": f"{FRAME[0]}x{FRAME[1]}", "by_batch_size": speed,
                                    "threads": cpu_threads(), "cpus": os.cpu_count(),
                                    "processor": platform.processor() or platform.machine()}
    print(f"seconds per {FRAME[0]}x{FRAME[1]} frame by batch size ({cpu_threads()} threads): {speed}")
    OUT.mkdir(parents=True, exist_ok=True)
    out = OUT / f"objects-{datetime.now(UTC):%Y%m%d}.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
