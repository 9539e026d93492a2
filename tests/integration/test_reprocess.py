"""Re-processing, priorities and queue control over the API, on real PostgreSQL and Valkey."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text as sql

from reelscan_shared.adapters.db import SqlTaskRepository
from reelscan_shared.adapters.queue import PRIORITY_HEADSTART
from reelscan_shared.domain.clock import utcnow
from reelscan_shared.domain.queues import CPU_QUEUE, GPU_QUEUE
from reelscan_shared.domain.tasks import Event, Priority
from tests.integration.test_api import _client, settings_for
from tests.integration.test_library import complete, scan, video_at


@pytest.fixture
def library(tmp_path: Path, sample_videos: dict[str, Path]) -> Path:
    root = tmp_path / "library"
    root.mkdir()
    shutil.copy(sample_videos["text"], root / "text.mp4")
    shutil.copy(sample_videos["cuts"], root / "cuts.mp4")
    return root


@pytest.fixture
async def api(db, redis, migrated_url, valkey, library) -> AsyncIterator[httpx.AsyncClient]:
    settings = settings_for(migrated_url, valkey.url, library, TASK_TOTALS_CACHE_SECONDS=0, HEALTH_CACHE_SECONDS=0)
    async for client in _client(settings):
        yield client


def of_type(video: dict, task_type: str) -> dict:
    return next(t for t in video["tasks"] if t["task_type"] == task_type)


async def finish_all(db, video: dict) -> None:
    for t in video["tasks"]:
        await complete(db, t["task_id"], t["task_type"])


async def test_reprocess_a_video_with_a_config_change(api, db, redis, library) -> None:
    await scan(api)
    video = await video_at(api, library / "text.mp4")
    await finish_all(db, video)
    await redis.flushall()

    resp = await api.post(f"/videos/{video['video_id']}/reprocess",
                          json={"analyses": ["ocr"], "config": {"ocr": {"min_confidence": 0.45}}})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    [ocr] = body["tasks"]
    assert body["enqueued"] == 1 and ocr["status"] == "pending" and ocr["priority"] == "low"
    assert ocr["config"]["min_confidence"] == 0.45 and ocr["config"]["frame_interval_s"] == 2.0  # the rest kept
    # Low: behind anything normal enqueued meanwhile.
    score = await redis.zscore(GPU_QUEUE, ocr["job_id"])
    assert score > utcnow().timestamp() * 1000 - PRIORITY_HEADSTART[Priority.NORMAL] / 2
    # The other analyses were not touched; the OCR results stay until the new run's replace them.
    after = await video_at(api, library / "text.mp4")
    assert [t["status"] for t in after["tasks"]].count("completed") == 5
    assert (await api.get(f"/videos/{video['video_id']}/artifacts")).json()["total"] == 6


@pytest.mark.parametrize(("body", "field"), [
    ({"config": {"ocr": {"min_confidence": 7}}}, "config.ocr.min_confidence"),
    ({"config": {"ocr": {"nope": 1}}}, "config.ocr.nope"),
    ({"analyses": ["juggling"]}, "analyses"),
    ({"priority": "urgent"}, "priority"),
    ({"analyses": []}, "analyses"),
    ({"colour": "red"}, "colour"),
])
async def test_bad_reprocess_requests_are_422_naming_the_field(api, library, body, field) -> None:
    await scan(api)
    video = await video_at(api, library / "text.mp4")
    resp = await api.post(f"/videos/{video['video_id']}/reprocess", json=body)
    assert resp.status_code == 422 and field.split(".")[-1] in str(resp.json()["detail"])
    assert (await video_at(api, library / "text.mp4"))["task_counts"]["pending"] == 6  # nothing changed


async def test_post_tasks_runs_one_analysis_with_a_config(api, db, redis, library) -> None:
    await scan(api)
    video = await video_at(api, library / "cuts.mp4")
    scenes = of_type(video, "scene_detection")
    body = {"video_id": video["video_id"], "task_type": "scene_detection", "config": {"threshold": 12}}
    assert (await api.post("/tasks", json=body)).status_code == 409  # still pending
    await complete(db, scenes["task_id"], "done")

    resp = await api.post("/tasks", json={**body, "priority": "high"})
    assert resp.status_code == 201, resp.text
    [rerun] = resp.json()["tasks"]
    assert rerun["task_id"] == scenes["task_id"] and rerun["config"]["threshold"] == 12
    assert rerun["status"] == "pending" and rerun["priority"] == "high"
    assert await redis.zscore(CPU_QUEUE, rerun["job_id"]) is not None

    bad = await api.post("/tasks", json={**body, "config": {"threshold": -1}})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "config", "threshold"]
    unknown = await api.post("/tasks", json={**body, "video_id": "00000000-0000-0000-0000-000000000000"})
    assert unknown.status_code == 404
    assert (await api.post("/tasks", json={**body, "task_type": "x"})).status_code == 422


async def test_reprocess_the_library_after_a_model_upgrade(api, db, redis, library) -> None:
    await scan(api)
    text, cuts = await video_at(api, library / "text.mp4"), await video_at(api, library / "cuts.mp4")
    await finish_all(db, text)
    await finish_all(db, cuts)
    tasks = SqlTaskRepository(db)
    # The text video's faces ran on the current model; the cuts video's on an older one.
    async with db.engine.begin() as conn:
        await conn.execute(sql("UPDATE tasks SET model_profile = CASE video_id WHEN :new THEN 'blazeface-full' "
                               "ELSE 'haar' END WHERE task_type = 'face_detection'"),
                           {"new": text["video_id"]})
    await redis.flushall()

    resp = await api.post("/reprocess", json={"analyses": ["face_detection"],
                                              "model_profile_not": {"face_detection": "blazeface-full"}})
    assert resp.status_code == 202, resp.text
    assert resp.json() == {"tasks": 1, "priority": "low"}
    rerun = await tasks.get(of_type(cuts, "face_detection")["task_id"])
    assert rerun is not None and rerun.status.value == "pending" and rerun.priority is Priority.LOW
    # The statement does what Task.apply(RERUN) does to a row.
    before = await tasks.get(of_type(text, "face_detection")["task_id"])
    assert before is not None
    expected = before.apply(Event.RERUN, utcnow(), error="reprocess requested")
    own = ("task_id", "video_id", "created_at", "priority", "model_profile")
    assert {k: v for k, v in asdict(rerun).items() if k not in own} == \
        {k: v for k, v in asdict(expected).items() if k not in own}

    async def queued() -> int:
        return await redis.zcard(GPU_QUEUE)

    for _ in range(500):  # the jobs are enqueued in the background
        if await queued() == 1:
            break
        await asyncio.sleep(0.01)
    assert await queued() == 1

    # Nothing older than a moment ago that is still outdated, and bad filters are 422.
    none = await api.post("/reprocess", json={"analyses": ["face_detection"], "model_profile_not": {
        "face_detection": "blazeface-full"}, "discovered_before": (utcnow() - timedelta(days=1)).isoformat()})
    assert none.json()["tasks"] == 0
    for bad in ({"statuses": ["running"]}, {"discovered_before": "2020-01-01T00:00:00"}, {"analyses": []}):
        assert (await api.post("/reprocess", json=bad)).status_code == 422, bad


async def test_prioritize_and_queue_control(api, redis, library) -> None:
    await scan(api)
    text = await video_at(api, library / "text.mp4")
    resp = await api.post(f"/videos/{text['video_id']}/prioritize")
    assert resp.status_code == 200 and resp.json()["moved"] == 6
    assert {t["priority"] for t in resp.json()["tasks"]} == {"high"}

    queues = {q["name"]: q for q in (await api.get("/queues")).json()}
    assert queues[GPU_QUEUE]["depth_by_priority"] == {"high": 5, "normal": 5, "low": 0}
    assert queues[CPU_QUEUE]["depth_by_priority"] == {"high": 1, "normal": 1, "low": 0}
    assert not queues[GPU_QUEUE]["paused"] and queues[GPU_QUEUE]["workers"] == 0

    paused = await api.post(f"/queues/{GPU_QUEUE}/pause")
    assert paused.status_code == 200 and paused.json()["paused"] is True
    assert (await api.get("/health")).json()["paused_queues"] == [GPU_QUEUE]
    resumed = await api.post(f"/queues/{GPU_QUEUE}/resume")
    assert resumed.json()["paused"] is False
    assert (await api.get("/health")).json()["paused_queues"] == []
    assert (await api.post("/queues/nope/pause")).status_code == 404


async def test_current_profiles_come_from_the_ml_services_health(db, redis, migrated_url, valkey, library) -> None:
    """"current" asks the ML service's /health (here a stand-in answering its format)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from embedded_servers import free_port

    class Health(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps({"models": {"face_detection": {"model_profile": "blazeface-full"}}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        settings = settings_for(migrated_url, valkey.url, library, TASK_TOTALS_CACHE_SECONDS=0,
                                ML_SERVICE_URL=f"http://127.0.0.1:{port}")
        async for api in _client(settings):
            await scan(api)
            for path in ("text.mp4", "cuts.mp4"):
                await finish_all(db, await video_at(api, library / path))
            async with db.engine.begin() as conn:
                await conn.execute(sql("UPDATE tasks SET model_profile = 'blazeface-full' WHERE video_id = "
                                       "(SELECT video_id FROM videos WHERE path LIKE '%text.mp4')"))
            # All analyses asked for; only faces has a model to compare; the cuts video's is outdated.
            resp = await api.post("/reprocess", json={"model_profile_not": "current"})
            assert resp.status_code == 202 and resp.json()["tasks"] == 1
            rerun = of_type(await video_at(api, library / "cuts.mp4"), "face_detection")
            assert rerun["status"] == "pending"
    finally:
        server.shutdown()
        server.server_close()
