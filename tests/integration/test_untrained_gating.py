"""Analyses without trained weights, end to end on real processes: the ML service refuses
them (ALLOW_UNTRAINED off), their tasks end BLOCKED saying why (GET /tasks, /health),
and they run once the weights are there, once ALLOW_UNTRAINED is set, or on
POST /reprocess. What an untrained network found is then no finding.

The ML service and the API run as processes over HTTP; the worker's job and its
reconciler run here, on the same real PostgreSQL and Valkey, with the real HTTP client.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from api_processes import REPO, running_api, wait_until_answers
from embedded_servers import free_port
from factories import video

from reelscan_api.discovery import build_tasks
from reelscan_shared.adapters.db import SqlTaskRepository, SqlVideoRepository
from reelscan_shared.domain.tasks import TaskStatus, TaskType
from reelscan_worker import bootstrap
from reelscan_worker.handler import run_task
from reelscan_worker.reconciler import Reconciler
from reelscan_worker.settings import WorkerSettings

PLACES_WEIGHTS = "resnet18_places365.pth.tar"  # resnet18-places365's file in MODEL_CACHE_DIR


@contextmanager
def running_ml(library: Path, cache: Path, port: int, allow_untrained: bool) -> Iterator[str]:
    """The ML service as a process (``reelscan-ml``); yields its URL once /health answers."""
    env = {**os.environ, "ML_PORT": str(port), "VIDEO_PATHS": str(library), "MODEL_CACHE_DIR": str(cache),
           "ALLOW_UNTRAINED": str(allow_untrained).lower(), "WEIGHTS_CHECK_SECONDS": "0.2",
           # Profiles whose weights are not here (no download): untrained networks.
           "PLACES_MODEL": "resnet18-places365", "OBJECTS_MODEL": "yolo11n", "LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen([sys.executable, "-m", "reelscan_ml.cli"], env=env, cwd=REPO)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_answers(f"{url}/health", proc, timeout_s=120)
        yield url
    finally:
        proc.terminate()
        proc.wait(20)


def analysis_state(ml_url: str, analysis: str) -> dict:
    return httpx.get(f"{ml_url}/health", timeout=10).json()["analyses"][analysis]


def write_places_weights(cache: Path) -> None:
    """Weights for resnet18-places365 appear in the cache (a checkpoint of the right shape,
    as `models pull` or a copied cache would leave)."""
    import torch
    import torchvision

    cache.mkdir(parents=True, exist_ok=True)
    net = torchvision.models.resnet18(num_classes=365)
    torch.save({"state_dict": {f"module.{k}": v for k, v in net.state_dict().items()}}, cache / PLACES_WEIGHTS)


@pytest.fixture
def library(tmp_path: Path, sample_videos: dict[str, Path]) -> Path:
    lib = tmp_path / "library"
    lib.mkdir()
    (lib / "cuts.mp4").write_bytes(sample_videos["cuts"].read_bytes())
    return lib


async def test_untrained_analyses_are_blocked_say_why_and_run_once_they_can(
        db, redis, migrated_url, valkey, library: Path, tmp_path: Path) -> None:
    cache, ml_port = tmp_path / "models", free_port()
    v = video(str(library / "cuts.mp4"))
    tasks = build_tasks(v.video_id, {})
    await SqlVideoRepository(db).add_with_tasks(v, tasks)
    by_type = {t.task_type: t for t in tasks}
    places, objects = by_type[TaskType.PLACE_DETECTION], by_type[TaskType.OBJECT_DETECTION]
    repo = SqlTaskRepository(db)
    worker = WorkerSettings(DATABASE_URL=migrated_url, REDIS_URL=valkey.url, ML_SERVICE_URL=f"http://127.0.0.1:{ml_port}")

    async def run(task_id: str) -> dict:
        deps = bootstrap.build(worker, redis)
        try:
            return await run_task({"deps": deps, "job_id": f"ml_{task_id}", "job_try": 1}, task_id)
        finally:
            await deps.close()

    async def reconcile() -> dict[str, int]:
        deps = bootstrap.build(worker, redis)
        try:
            return await Reconciler(deps).run_once()
        finally:
            await deps.close()

    with running_ml(library, cache, ml_port, allow_untrained=False) as ml_url, \
            running_api(DATABASE_URL=migrated_url, REDIS_URL=valkey.url, VIDEO_PATHS=str(library),
                        ML_SERVICE_URL=ml_url, HEALTH_CACHE_SECONDS="0") as api_url:
        api = httpx.Client(base_url=api_url, timeout=30)
        state = analysis_state(ml_url, "place_detection")
        assert (state["runnable"], state["weights"], state["reason"]) == (False, "untrained", "untrained")
        assert "reelscan-ml models pull place_detection" in state["detail"]
        assert analysis_state(ml_url, "scene_detection")["runnable"] is True

        # Refused before any work: no retry, no failure, the task says why.
        for task in (places, objects):
            result = await run(task.task_id)
            assert result["outcome"] == "blocked", result
        scenes = await run(by_type[TaskType.SCENE_DETECTION].task_id)
        assert scenes["outcome"] == "completed"

        blocked = api.get("/tasks", params={"status": "blocked"}).json()
        assert blocked["total"] == 2 and {t["task_type"] for t in blocked["items"]} == {
            "place_detection", "object_detection"}
        [place_task] = api.get("/tasks", params={"status": "blocked", "task_type": "place_detection"}).json()["items"]
        assert place_task["error"].startswith("no trained weights for place_detection: "
                                              "run `reelscan-ml models pull place_detection`")
        assert place_task["attempts"] == 1 and place_task["completed_at"] is not None
        assert api.get("/tasks", params={"status": "failed"}).json()["total"] == 0

        health = api.get("/health").json()
        assert health["status"] == "degraded"
        assert health["analyses"]["place_detection"] | {"detail": None} == {
            "runnable": False, "reason": "untrained", "detail": None, "blocked_tasks": 1,
            "blocked_reason": place_task["error"]}
        assert health["analyses"]["scene_detection"]["runnable"] is True
        assert health["analyses"]["scene_detection"]["blocked_tasks"] == 0

        # Nothing can run yet: the reconciler leaves them blocked.
        assert "unblocked" not in await reconcile()
        assert (await repo.get(places.task_id)).status is TaskStatus.BLOCKED

        # POST /reprocess runs blocked tasks again; still without weights, they block again.
        again = api.post("/reprocess", json={"analyses": ["object_detection"], "statuses": ["blocked"]})
        assert again.status_code == 202 and again.json()["tasks"] == 1, again.text
        assert (await repo.get(objects.task_id)).status is TaskStatus.PENDING
        assert (await run(objects.task_id))["outcome"] == "blocked"

        # The weights appear: the ML service notices, the reconciler re-runs the task.
        write_places_weights(cache)
        deadline = time.monotonic() + 60
        while not analysis_state(ml_url, "place_detection")["runnable"]:
            assert time.monotonic() < deadline, "the ML service did not notice the weights"
            time.sleep(0.2)
        assert (await reconcile()).get("unblocked") == 1
        pending = await repo.get(places.task_id)
        assert pending.status is TaskStatus.PENDING
        assert (await run(places.task_id))["outcome"] == "completed"
        assert (await repo.get(places.task_id)).model_profile == "resnet18-places365"
        assert (await repo.get(objects.task_id)).status is TaskStatus.BLOCKED  # its model is still untrained
        assert api.get("/health").json()["analyses"]["place_detection"]["blocked_tasks"] == 0

    # ALLOW_UNTRAINED: the ML service runs the untrained network, the reconciler re-runs the task.
    with running_ml(library, cache, ml_port, allow_untrained=True) as ml_url, \
            running_api(DATABASE_URL=migrated_url, REDIS_URL=valkey.url, VIDEO_PATHS=str(library),
                        ML_SERVICE_URL=ml_url, HEALTH_CACHE_SECONDS="0") as api_url:
        api = httpx.Client(base_url=api_url, timeout=30)
        assert (await reconcile()).get("unblocked") == 1
        # Its untrained scores are ~1e-4: no threshold, so that it stores what it "found".
        rerun = api.post(f"/videos/{v.video_id}/reprocess", json={
            "analyses": ["object_detection"], "config": {"object_detection": {"min_confidence": 0.0}}})
        assert rerun.status_code == 200, rerun.text
        assert (await run(objects.task_id))["outcome"] == "completed"
        done = await repo.get(objects.task_id)
        assert done.status is TaskStatus.COMPLETED and done.model_profile == "yolo11n-untrained-random-init"

        # What the untrained network found stays readable, with its provenance, and is no finding.
        stored = api.get(f"/videos/{v.video_id}/artifacts", params={"artifact_type": "object_detection",
                                                                     "limit": 500}).json()
        assert stored["total"] > 0
        assert {a["model_profile"] for a in stored["items"]} == {"yolo11n-untrained-random-init"}
        labels = api.get("/labels").json()["items"]
        assert {x["kind"] for x in labels} == {"places"}  # the trained model's, not the untrained one's
        place_label = labels[0]["label"]
        found = api.get("/search/places", params={"label": place_label}).json()["items"]
        assert [i["video_id"] for i in found] == [v.video_id]
        for label in {a["payload"]["label"] for a in stored["items"]}:
            assert api.get("/search/objects", params={"label": label}).json()["total"] == 0
        summary = api.get(f"/videos/{v.video_id}/summary").json()
        assert summary["objects"] == [] and place_label in [p["label"] for p in summary["places"]]
