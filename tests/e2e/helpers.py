"""Helpers for tests that run the stack as processes (building it, and waiting for
its tasks, are in dev/stack_runs.py, shared with the benchmarks)."""

from __future__ import annotations

import time
from collections import defaultdict

import httpx
from stack_runs import make_stack, task_list, wait_until_finished

__all__ = ["assert_one_artifact_set_per_task", "make_stack", "task_list", "wait_for_running", "wait_until_finished"]

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
    # Scenes and places always say something. Objects not: the default detector is trained,
    # and a generated colour shot may hold nothing it can name.
    produce_always = {"scene_detection", "place_detection"}
    for t in tasks:
        if t["status"] == "completed" and t["task_type"] in produce_always:
            assert t["task_id"] in runs, f"{t['task_type']} completed without artifacts"
