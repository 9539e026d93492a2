"""A stack over a library of sample videos, and waiting for its tasks to finish:
used by the e2e tests and the benchmarks (bench/)."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import sample_videos as sv
from embedded_servers import free_port
from stack import Stack

# The default object detector (YOLOv3-tiny) is trained, and finds little in the generated
# sample videos (colour shots, text): a zero threshold keeps its weakest boxes (OpenCV
# scores none under 0.2), so object artifacts still flow through the pipeline wherever it
# sees anything (and those of an untrained YOLO, OBJECTS_MODEL=yolo11n, at ~1e-4).
OBJECTS_CONFIG = '{"object_detection": {"min_confidence": 0.0, "max_detections": 2}}'


def make_stack(root: Path, videos: dict[str, Path], bad: bool = False, **env: str) -> Stack:
    library = root / "videos"
    library.mkdir(parents=True)
    for name, source in videos.items():
        (library / f"{name}.mp4").write_bytes(source.read_bytes())
    if bad:
        sv.corrupt_file(library / "corrupt.mp4")
        (library / "zero.mp4").write_bytes(b"")
        sv.truncated_copy(next(iter(videos.values())), library / "truncated.mp4")
        (library / "notes.mkv").write_text("this is a text file with a video extension\n" * 100)
    # The tests and benchmarks run every analysis, on untrained networks where no trained
    # weights are here (places; their results say so, and stay out of labels and search).
    extra = {"DISCOVERY_INTERVAL": "2", "RETRY_BASE_DELAY_SECONDS": "1", "ANALYSIS_CONFIG": OBJECTS_CONFIG,
             "ALLOW_UNTRAINED": "true"}
    extra.update(env)
    return Stack(data_dir=root / "data", video_paths=str(library), api_port=free_port(), ml_port=free_port(),
                 extra_env=extra)


def task_list(client: httpx.Client) -> list[dict]:
    return client.get("/tasks", params={"limit": 500}).json()["items"]


def wait_until_finished(client: httpx.Client, expected: int, timeout: float = 300) -> list[dict]:
    deadline = time.monotonic() + timeout
    tasks: list[dict] = []
    while time.monotonic() < deadline:
        try:
            tasks = task_list(client)
        except (httpx.HTTPError, ValueError, KeyError):
            time.sleep(1)
            continue
        if len(tasks) == expected and all(t["status"] in ("completed", "failed", "blocked") for t in tasks):
            return tasks
        time.sleep(1)
    raise AssertionError(f"not finished in {timeout}s: {[(t['task_type'], t['status'], t['error']) for t in tasks]}")
