"""make bench-ocr: the OCR engines on the same frames, whose words are known.

24 generated 1280x720 frames (seed 12): lines of words from a fixed list in OpenCV's
fonts at several sizes, colours and thicknesses, on plain, dark, gradient and busy
(noise texture) backgrounds. Each engine (OCR_ENGINE=rapidocr, easyocr) reads every
frame through the ML service's model class (loading excluded). Reported per engine:
words read correctly / words shown (a word counts once per frame, case aside), false
words (read but not shown), seconds per frame; and the ratio of the engines' speeds,
which holds across machines where absolute seconds do not. Writes
${BENCH_OUT:-.bench}/ocr.json.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
OUT = Path(os.environ.get("BENCH_OUT", ".bench"))
FRAMES = int(os.environ.get("BENCH_OCR_FRAMES", "24"))
WORDS = ("REELSCAN", "budget", "EXIT", "station", "Harbour", "meeting", "VIDEO", "library", "north", "Quarterly",
         "results", "OPEN", "camera", "river", "summit", "Platform", "delta", "CLOSED", "market", "Weather")
FONTS = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_COMPLEX, cv2.FONT_HERSHEY_TRIPLEX)


def background(kind: str, rng: np.random.Generator) -> np.ndarray:
    if kind == "plain":
        return np.full((720, 1280, 3), 245, np.uint8)
    if kind == "dark":
        return np.full((720, 1280, 3), 25, np.uint8)
    if kind == "gradient":
        ramp = np.linspace(40, 220, 1280, dtype=np.uint8)
        return np.repeat(np.stack([ramp, ramp[::-1], np.full(1280, 128, np.uint8)], axis=1)[None], 720, axis=0)
    noise = rng.integers(0, 256, (90, 160, 3), dtype=np.uint8)  # busy: a coarse colour texture
    return cv2.resize(noise, (1280, 720), interpolation=cv2.INTER_CUBIC)


def frame(i: int, rng: np.random.Generator) -> tuple[np.ndarray, set[str]]:
    kind = ("plain", "dark", "gradient", "busy")[i % 4]
    img = background(kind, rng)
    shown: set[str] = set()
    for line in range(3):
        words = [str(w) for w in rng.choice(WORDS, size=int(rng.integers(1, 4)), replace=False)]
        scale = float(rng.choice([0.8, 1.2, 1.6, 2.2]))
        colour = (255, 255, 255) if kind == "dark" else (0, 0, 0) if kind == "plain" else tuple(
            int(c) for c in rng.choice([(255, 255, 255), (0, 0, 0), (255, 230, 0)]))
        font = FONTS[int(rng.integers(0, len(FONTS)))]
        org = (int(rng.integers(30, 400)), 150 + line * 200)
        if kind == "busy":  # captions over busy video usually sit on a band or have an outline
            cv2.putText(img, " ".join(words), org, font, scale, (0, 0, 0), int(scale * 2) + 4, cv2.LINE_AA)
        cv2.putText(img, " ".join(words), org, font, scale, colour, max(1, int(scale * 2)), cv2.LINE_AA)
        shown.update(w.upper() for w in words)
    return img, shown


def tokens(text: str) -> set[str]:
    return {t for t in re.findall(r"[A-Za-z0-9]+", text.upper()) if len(t) > 1}


def run_engine(engine: str, frames: list[tuple[np.ndarray, set[str]]]) -> dict[str, float]:
    from reelscan_ml.device import pin_torch_threads, set_torch_threads
    from reelscan_ml.models.registry import ModelRegistry
    from reelscan_ml.settings import MLSettings
    from reelscan_shared.domain.tasks import TaskType
    from reelscan_shared.schemas.configs import OCRConfig

    settings = MLSettings(OCR_ENGINE=engine, MODEL_CACHE_DIR=str(REPO / ".reelscan" / "models"))
    set_torch_threads(settings.torch_threads)
    model = ModelRegistry(settings.profiles(), settings.model_cache_dir.resolve(), "cpu")[TaskType.OCR]
    model.load()
    cfg = OCRConfig()
    convert = cv2.COLOR_BGR2RGB if model.pixel_format == "rgb24" else None
    inputs = [cv2.cvtColor(img, convert) if convert is not None else img for img, _ in frames]
    pin_torch_threads()
    model.predict_batch(inputs[:1], cfg)  # warm-up
    correct = false = 0
    started = time.perf_counter()
    for image, (_, shown) in zip(inputs, frames, strict=True):
        [found] = model.predict_batch([image], cfg)
        read = set().union(*(tokens(d["text"]) for d in found)) if found else set()
        correct += len(read & shown)
        false += len(read - shown)
    seconds = time.perf_counter() - started
    shown_total = sum(len(s) for _, s in frames)
    return {"profile": model.profile, "words_shown": shown_total, "words_read": correct,
            "recall": round(correct / shown_total, 3), "false_words": false,
            "seconds_per_frame": round(seconds / len(frames), 3)}


def main() -> None:
    sys.path.insert(0, str(REPO / "dev"))
    rng = np.random.default_rng(12)
    frames = [frame(i, rng) for i in range(FRAMES)]
    result: dict[str, object] = {"frames": FRAMES, "size": "1280x720", "seed": 12}
    for engine in ("rapidocr", "easyocr"):
        result[engine] = run_engine(engine, frames)
        print(engine, result[engine], flush=True)
    rapid, easy = result["rapidocr"], result["easyocr"]
    assert isinstance(rapid, dict) and isinstance(easy, dict)
    result["easyocr_over_rapidocr_seconds"] = round(easy["seconds_per_frame"] / rapid["seconds_per_frame"], 2)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "ocr.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
