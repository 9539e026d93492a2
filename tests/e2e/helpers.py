"""Helpers for tests that run the stack as processes."""

from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path

import httpx
import sample_videos as sv
from embedded_servers import free_port
from stack import Stack

# The offline YOLO is untrained (its profile says so): its scores are ~1e-4, so a
# zero threshold lets its real outputs flow through the pipeline.
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
    extra = {"DISCOVERY_INTERVAL": "2", "RETRY_BASE_DELAY_SECONDS": "1", "ANALYSIS_CONFIG": OBJECTS_CONFIG}
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
        if len(tasks) == expected and all(t["status"] in ("completed", "failed") for t in tasks):
            return tasks
        time.sleep(1)
    raise AssertionError(f"not finished in {timeout}s: {[(t['task_type'], t['status'], t['error']) for t in tasks]}")


def wait_for_running(client: httpx.Client, task_type: str | None = None, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    params = {"status": "running", **({"task_type": task_type} if task_type else {})}
    while time.monotonic() < deadline:
        items = client.get("/tasks", params=params).json()["items"]
        if items:
            return items[0]
        time.sleep(0.2)
    raise AssertionError(f"no {task_type or ''} task started running within {timeout}s")


def assert_one_artifact_set_per_task(client: httpx.Client, tasks: list[dict]) -> None:
    """Every completed task has artifacts from exactly one run; no task has two sets."""
    runs: dict[str, set[str]] = defaultdict(set)
    for video_id in {t["video_id"] for t in tasks}:
        offset = 0
        while True:
            page = client.get(f"/videos/{video_id}/artifacts", params={"limit": 500, "offset": offset}).json()
            for a in page["items"]:
                runs[a["task_id"]].add(a["run_id"])
            offset += 500
            if offset >= page["total"]:
                break
    for t in tasks:
        if t["status"] != "completed":
            assert t["task_id"] not in runs, f"a {t['status']} task has artifacts"
        else:
            assert len(runs.get(t["task_id"], set())) <= 1, (t["task_type"], runs.get(t["task_id"]))
    produce_always = {"scene_detection", "place_detection", "object_detection"}
    for t in tasks:
        if t["status"] == "completed" and t["task_type"] in produce_always:
            assert t["task_id"] in runs, f"{t['task_type']} completed without artifacts"
