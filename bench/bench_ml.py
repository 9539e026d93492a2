"""ML service benchmark (`make bench-ml`): how close the endpoints run to the
model's own speed, on a generated 60 s 1280x720 25 fps H.264 video with speech.

For objects (1 frame per second), OCR (its default 1 frame per 2 s) and
transcription it measures
  endpoint  POST /infer/<task_type> on a running ML service (a real process), wall time;
  floor     the bare model on the same input already decoded (frames or 16 kHz audio),
            in the same batches, in this process;
  naive     (objects only) OpenCV reads every frame in order and the model runs one
            frame at a time on every 25th, in one process;
plus /health and /ready latency while a long inference runs, and the service's
peak RSS. Writes ${BENCH_OUT:-.bench}/ml.json and prints a table with the goals.
Endpoint and floor figures are medians of BENCH_REPEAT runs (default 3; 1 for OCR).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "dev")]

import sample_videos  # noqa: E402
from embedded_servers import free_port  # noqa: E402

OUT = Path(os.environ.get("BENCH_OUT", ".bench"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))
OCR_INTERVAL_S = float(os.environ.get("BENCH_OCR_INTERVAL", "2.0"))
# ALLOW_UNTRAINED: an untrained network costs what a trained one does, which is what this measures.
ENV = {"GPU_CONCURRENCY": "1", "LOG_LEVEL": "WARNING", "ALLOW_UNTRAINED": "true", "MODEL_CACHE_DIR": os.environ.get(
    "MODEL_CACHE_DIR", str(REPO / ".reelscan" / "models"))}


def median_time(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return round(statistics.median(times), 3)


class MLService:
    def __init__(self, library: Path) -> None:
        self.port = free_port()
        env = {**os.environ, **ENV, "VIDEO_PATHS": str(library), "ML_PORT": str(self.port)}
        with open(OUT / "ml-service.log", "w") as log:  # the child keeps its own copy of the descriptor
            self.proc = subprocess.Popen([sys.executable, "-m", "reelscan_ml.cli"], env=env,
                                         stdout=subprocess.DEVNULL, stderr=log)
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=1800)
        for _ in range(600):
            try:
                if self.http.get("/health").status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError("the ML service did not start; see ml-service.log")

    def infer(self, analysis: str, video: Path, **config: Any) -> dict[str, Any]:
        resp = self.http.post(f"/infer/{analysis}", json={"video_path": str(video), "config": config})
        resp.raise_for_status()
        return resp.json()

    def peak_rss_mb(self) -> float:
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM"))) / 1024

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)


class ProbePoller(threading.Thread):
    """GET /health and /ready every 50 ms while a long inference runs."""

    def __init__(self, base_url: str) -> None:
        super().__init__(daemon=True)
        self.http = httpx.Client(base_url=base_url, timeout=5)
        self.latencies: dict[str, list[float]] = {"/health": [], "/ready": []}
        self.stop_event = threading.Event()

    def run(self) -> None:
        while not self.stop_event.is_set():
            for path, seen in self.latencies.items():
                started = time.perf_counter()
                self.http.get(path)
                seen.append((time.perf_counter() - started) * 1000)
            time.sleep(0.05)

    def summary(self) -> dict[str, dict[str, float]]:
        return {path: {"n": len(ms), "p50_ms": round(statistics.median(ms), 1),
                       "p99_ms": round(sorted(ms)[int(len(ms) * 0.99) - 1], 1), "max_ms": round(max(ms), 1)}
                for path, ms in self.latencies.items() if ms}


def measure_endpoints(video: Path) -> dict[str, Any]:
    service = MLService(video.parent)
    try:
        # Load and warm every model first (loading is not inference), as the floor does.
        service.infer("object_detection", video, frame_interval_s=1.0)
        service.infer("ocr", video, frame_interval_s=30)
        service.infer("transcription", video)
        objects = median_time(lambda: service.infer("object_detection", video, frame_interval_s=1.0), REPEAT)
        transcribe = median_time(lambda: service.infer("transcription", video), REPEAT)
        poller = ProbePoller(f"http://127.0.0.1:{service.port}")
        poller.start()
        ocr = median_time(lambda: service.infer("ocr", video, frame_interval_s=OCR_INTERVAL_S), 1)
        poller.stop_event.set()
        poller.join()
        return {"objects": objects, "ocr": ocr, "transcribe": transcribe, "probes": poller.summary(),
                "peak_rss_mb": round(service.peak_rss_mb(), 1)}
    finally:
        service.stop()


def measure_floors_and_naive(video: Path) -> dict[str, float]:
    from reelscan_ml.device import pin_torch_threads, set_torch_threads
    from reelscan_ml.frames import decode_audio, sample_frames
    from reelscan_ml.models.registry import ModelRegistry
    from reelscan_ml.settings import MLSettings
    from reelscan_shared.domain.tasks import TaskType
    from reelscan_shared.schemas.configs import ObjectsConfig, OCRConfig, TranscriptionConfig

    settings = MLSettings(**ENV)
    set_torch_threads(settings.torch_threads)  # as the service does at start-up
    registry = ModelRegistry(settings.profiles(), settings.model_cache_dir.resolve(), "cpu", settings.ml_batch_size)

    def floor(analysis: TaskType, inputs: list[Any], cfg: Any, repeat: int) -> float:
        model = registry[analysis]
        model.load()
        pin_torch_threads()  # as the service does before every model call
        size = model.batch_size
        model.predict_batch(inputs[:size], cfg)  # warm-up, as the service had
        return median_time(lambda: [model.predict_batch(inputs[i:i + size], cfg)
                                    for i in range(0, len(inputs), size)], repeat)

    yolo = registry[TaskType.OBJECT_DETECTION]
    object_frames = [f.rgb for f in sample_frames(video, 1.0, pixel_format=yolo.pixel_format)]
    ocr_frames = [f.rgb for f in sample_frames(video, OCR_INTERVAL_S)]
    audio, _ = decode_audio(video)
    result = {
        "objects_floor_s": floor(TaskType.OBJECT_DETECTION, object_frames, ObjectsConfig(), REPEAT),
        "transcribe_floor_s": floor(TaskType.TRANSCRIPTION, [audio], TranscriptionConfig(), REPEAT),
        "ocr_floor_s": floor(TaskType.OCR, ocr_frames, OCRConfig(), 1),
    }
    pin_torch_threads()
    result["objects_naive_s"] = median_time(lambda: naive_objects(video, yolo, ObjectsConfig()), REPEAT)
    return result


def naive_objects(video: Path, model: Any, cfg: Any) -> None:
    """What a first implementation does: read every frame, model on every 25th, one at a time."""
    import cv2

    capture = cv2.VideoCapture(str(video))
    index = 0
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        if index % sample_videos.FPS == 0:
            model.predict_batch([frame], cfg)
        index += 1
    capture.release()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    video = OUT / "library" / "bench-60s-720p.mp4"
    if not video.exists():
        print(f"generating {video} ...", flush=True)
        sample_videos.bench_video(video)
    print("endpoints (ML service process) ...", flush=True)
    endpoints = measure_endpoints(video)
    print("floors and naive baseline (this process) ...", flush=True)
    floors = measure_floors_and_naive(video)
    result = {
        "objects_endpoint_s": endpoints["objects"], "objects_floor_s": floors["objects_floor_s"],
        "objects_naive_s": floors["objects_naive_s"],
        "ocr_endpoint_s": endpoints["ocr"], "ocr_floor_s": floors["ocr_floor_s"],
        "transcribe_endpoint_s": endpoints["transcribe"], "transcribe_floor_s": floors["transcribe_floor_s"],
        "peak_rss_mb": endpoints["peak_rss_mb"],
        "probes_during_ocr": endpoints["probes"],
        "setup": {"video": "60 s 1280x720 25 fps H.264 (x264 veryfast, 10 s GOP, B-frames) + AAC speech",
                  "objects_interval_s": 1.0, "ocr_interval_s": OCR_INTERVAL_S, "repeat": REPEAT,
                  "cpus": os.cpu_count(), "device": "cpu", "gpu_concurrency": 1},
    }
    (OUT / "ml.json").write_text(json.dumps(result, indent=2) + "\n")
    report(result)
    print(f"saved {OUT / 'ml.json'}")


def report(r: dict[str, Any]) -> None:
    rows = [
        ("objects endpoint / floor", r["objects_endpoint_s"] / r["objects_floor_s"], "<= 1.25"),
        ("objects naive / endpoint", r["objects_naive_s"] / r["objects_endpoint_s"], ">= 2"),
        ("ocr endpoint / floor", r["ocr_endpoint_s"] / r["ocr_floor_s"], "<= 1.3"),
        ("transcribe endpoint / floor", r["transcribe_endpoint_s"] / r["transcribe_floor_s"], "<= 1.3"),
    ]
    print(f"\n{'figure':28} {'seconds':>9}")
    for key in ("objects_endpoint_s", "objects_floor_s", "objects_naive_s", "ocr_endpoint_s", "ocr_floor_s",
                "transcribe_endpoint_s", "transcribe_floor_s"):
        print(f"{key:28} {r[key]:9.3f}")
    print(f"{'peak_rss_mb':28} {r['peak_rss_mb']:9.1f}")
    print(f"\n{'ratio':28} {'value':>9}  goal")
    for name, value, goal in rows:
        print(f"{name:28} {value:9.2f}  {goal}")
    for path, s in r["probes_during_ocr"].items():
        print(f"{path} during OCR: n={s['n']} p50={s['p50_ms']} ms p99={s['p99_ms']} ms max={s['max_ms']} ms")


if __name__ == "__main__":
    main()
