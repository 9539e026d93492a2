"""The API over HTTP (ASGI transport) on real PostgreSQL and Valkey."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from arq.constants import abort_jobs_ss

from reelscan_api.app import create_app
from reelscan_api.settings import ApiSettings
from reelscan_shared.adapters.db import SqlTaskRepository
from reelscan_shared.domain.clock import utcnow
from reelscan_shared.domain.queues import CPU_QUEUE, GPU_QUEUE
from reelscan_shared.domain.tasks import Event


def settings_for(migrated_url: str, redis_url: str, video_dir: Path, **extra: object) -> ApiSettings:
    values: dict[str, object] = {
        "DATABASE_URL": migrated_url, "REDIS_URL": redis_url, "VIDEO_PATHS": str(video_dir),
        "DISCOVERY_INTERVAL": 0, "DISCOVERY_SETTLE_SECONDS": 0, "ML_SERVICE_URL": "http://127.0.0.1:9",
        "HEALTH_TIMEOUT_SECONDS": 1,
    }
    return ApiSettings(**{**values, **extra})


async def _client(settings: ApiSettings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    client = httpx.AsyncClient(transport=transport, base_url="http://localhost")
    async with app.router.lifespan_context(app), client as c:
        yield c


@pytest.fixture
async def api(db, redis, migrated_url, valkey, video_dir) -> AsyncIterator[httpx.AsyncClient]:
    async for client in _client(settings_for(migrated_url, valkey.url, video_dir)):
        yield client


async def _discover(api: httpx.AsyncClient) -> dict:
    resp = await api.post("/videos/discover")
    assert resp.status_code == 200, resp.text
    return resp.json()


async def test_discovery_registers_videos_tasks_and_jobs_once(api, redis) -> None:
    report = await _discover(api)
    assert report["found"] == 2 and len(report["created"]) == 2
    assert await redis.zcard(GPU_QUEUE) == 10 and await redis.zcard(CPU_QUEUE) == 2
    again = await _discover(api)
    assert again["found"] == 2 and again["created"] == []
    assert (await api.get("/tasks", params={"limit": 500})).json()["total"] == 12
    videos = (await api.get("/videos")).json()
    assert videos["total"] == 2
    video = next(v for v in videos["items"] if v["path"].endswith("text.mp4"))
    assert video["duration_ms"] == 4000 and len(video["file_hash"]) == 64 and video["size_bytes"] > 0
    detail = (await api.get(f"/videos/{video['video_id']}")).json()
    assert detail["task_counts"]["pending"] == 6


async def test_a_file_still_being_written_waits(db, redis, migrated_url, valkey, tmp_path) -> None:
    library = tmp_path / "growing"
    library.mkdir()
    growing = library / "upload.mp4"
    growing.write_bytes(b"\0" * 1000)

    async def keep_writing() -> None:
        for _ in range(20):
            await asyncio.sleep(0.05)
            with growing.open("ab") as fh:
                fh.write(b"\0" * 1000)

    async for client in _client(settings_for(migrated_url, valkey.url, library, DISCOVERY_SETTLE_SECONDS=0.5)):
        writer = asyncio.create_task(keep_writing())
        report = (await client.post("/videos/discover")).json()
        await writer
        assert report["still_writing"] == [str(growing)] and report["created"] == []
        report = (await client.post("/videos/discover")).json()
        assert len(report["created"]) == 1


async def test_task_filters_sorting_and_pagination(api) -> None:
    await _discover(api)
    ocr = (await api.get("/tasks", params={"task_type": "ocr"})).json()
    assert ocr["total"] == 2 and {t["task_type"] for t in ocr["items"]} == {"ocr"}
    page = (await api.get("/tasks", params={"limit": 5, "offset": 10, "sort": "running_time", "order": "asc"})).json()
    assert (page["total"], page["limit"], page["offset"], len(page["items"])) == (12, 5, 10, 2)
    video_id = ocr["items"][0]["video_id"]
    mine = (await api.get("/tasks", params={"video_id": video_id, "status": "pending"})).json()
    assert mine["total"] == 6
    first = mine["items"][0]
    assert first["job_id"] == f"ml_{first['task_id']}"
    assert set(first) >= {"task_id", "video_id", "task_type", "status", "queue", "job_id", "attempts", "error",
                          "created_at", "started_at", "completed_at"}


@pytest.mark.parametrize("params", [{"limit": 501}, {"limit": 0}, {"offset": -1}, {"sort": "name"},
                                    {"order": "up"}, {"status": "done"}, {"task_type": "x"}, {"video_id": "nope"}])
async def test_bad_task_queries_are_422(api, params) -> None:
    resp = await api.get("/tasks", params=params)
    assert resp.status_code == 422 and "detail" in resp.json()


async def test_unknown_and_malformed_ids(api) -> None:
    unknown = "00000000-0000-0000-0000-000000000000"
    for method, path in [("GET", f"/tasks/{unknown}"), ("POST", f"/tasks/{unknown}/cancel"),
                         ("POST", f"/tasks/{unknown}/retry"), ("POST", f"/tasks/{unknown}/enqueue"),
                         ("GET", f"/videos/{unknown}"), ("GET", f"/videos/{unknown}/artifacts")]:
        assert (await api.request(method, path)).status_code == 404, path
    assert (await api.get("/tasks/not-a-uuid")).status_code == 422
    resp = await api.get(f"/videos/{unknown}/artifacts", params={"from_ms": 10, "to_ms": 5})
    assert resp.status_code == 422


async def test_cancel_retry_enqueue_lifecycle(api, redis) -> None:
    await _discover(api)
    task = (await api.get("/tasks", params={"task_type": "scene_detection", "limit": 1})).json()["items"][0]
    tid, job_id = task["task_id"], task["job_id"]

    enq = await api.post(f"/tasks/{tid}/enqueue")
    assert enq.status_code == 200 and enq.json()["enqueued"] is False  # already queued: a no-op

    cancel = await api.post(f"/tasks/{tid}/cancel")
    assert cancel.status_code == 200 and cancel.json()["task"]["status"] == "cancelled"
    assert await redis.zscore(abort_jobs_ss, job_id) is not None
    assert (await api.post(f"/tasks/{tid}/cancel")).status_code == 409
    assert (await api.post(f"/tasks/{tid}/enqueue")).status_code == 409

    # Simulate the worker dropping the aborted job, as arq does.
    await redis.zrem(CPU_QUEUE, job_id)
    await redis.delete(f"arq:job:{job_id}")
    retry = await api.post(f"/tasks/{tid}/retry")
    body = retry.json()
    assert retry.status_code == 200 and body["task"]["status"] == "pending" and body["enqueued"] is True
    assert await redis.zscore(abort_jobs_ss, job_id) is None, "a stale abort marker would kill the new job"
    assert await redis.zscore(CPU_QUEUE, job_id) is not None
    assert (await api.post(f"/tasks/{tid}/retry")).status_code == 409


async def test_health_reports_dependencies(api) -> None:
    resp = await api.get("/health")
    body = resp.json()
    assert resp.status_code == 200
    assert body["database"] == "up" and body["valkey"] == "up"
    assert body["ml_service"].startswith("down")
    assert body["workers"] == {"gpu_jobs": "absent", "cpu_jobs": "absent"}
    assert body["status"] == "degraded"
    assert body["queues"]["gpu_jobs"]["depth"] == 0


async def test_health_is_503_when_valkey_is_down(db, migrated_url, video_dir) -> None:
    from embedded_servers import free_port

    settings = settings_for(migrated_url, f"redis://127.0.0.1:{free_port()}/0", video_dir)
    async for client in _client(settings):
        resp = await client.get("/health")
        assert resp.status_code == 503 and resp.json()["status"] == "unhealthy"
        assert resp.json()["valkey"].startswith("down")
        # Endpoints that need the queue answer 503 with a JSON error, never 500.
        listed = await client.get("/tasks")
        assert listed.status_code == 200


async def test_api_token_guards_mutations(db, redis, migrated_url, valkey, video_dir) -> None:
    async for client in _client(settings_for(migrated_url, valkey.url, video_dir, API_TOKEN="s3cret")):
        assert (await client.post("/videos/discover")).status_code == 401
        bad = {"Authorization": "Bearer nope"}
        assert (await client.post("/videos/discover", headers=bad)).status_code == 401
        ok = await client.post("/videos/discover", headers={"Authorization": "Bearer s3cret"})
        assert ok.status_code == 200
        assert (await client.get("/tasks")).status_code == 401  # reads need it too by default
        assert (await client.get("/tasks", headers={"Authorization": "Bearer s3cret"})).status_code == 200


async def test_openapi_docs_are_served(api) -> None:
    assert (await api.get("/docs")).status_code == 200
    paths = (await api.get("/openapi.json")).json()["paths"]
    assert {"/health", "/videos", "/tasks", "/tasks/{task_id}/retry", "/videos/{video_id}/artifacts"} <= set(paths)


async def test_concurrent_retries_and_cancels_end_in_one_state(api) -> None:
    await _discover(api)
    task = (await api.get("/tasks", params={"task_type": "ocr", "limit": 1})).json()["items"][0]
    tid = task["task_id"]
    cancels = await asyncio.gather(*(api.post(f"/tasks/{tid}/cancel") for _ in range(5)))
    assert sorted(r.status_code for r in cancels) == [200, 409, 409, 409, 409]
    retries = await asyncio.gather(*(api.post(f"/tasks/{tid}/retry") for _ in range(5)))
    assert sorted(r.status_code for r in retries) == [200, 409, 409, 409, 409]
    assert (await api.get(f"/tasks/{tid}")).json()["status"] == "pending"


async def test_with_valkey_down_videos_are_registered_whole_and_queue_actions_503(
        db, migrated_url, video_dir) -> None:
    from embedded_servers import free_port

    async for client in _client(settings_for(migrated_url, f"redis://127.0.0.1:{free_port()}/0", video_dir)):
        report = (await client.post("/videos/discover")).json()
        assert len(report["created"]) == 2
        tasks = (await client.get("/tasks", params={"limit": 500})).json()
        # All six tasks of each video exist (PENDING); the reconciler enqueues them later.
        assert tasks["total"] == 12 and {t["status"] for t in tasks["items"]} == {"pending"}
        tid = tasks["items"][0]["task_id"]
        assert (await client.post(f"/tasks/{tid}/cancel")).status_code == 200  # the row is the truth
        retry = await client.post(f"/tasks/{tid}/retry")
        assert retry.status_code == 503 and "Valkey" in retry.json()["detail"]
        assert (await client.get(f"/tasks/{tid}")).json()["status"] == "cancelled", "nothing half-done"
        assert (await client.post(f"/tasks/{tid}/enqueue")).status_code == 409


async def test_api_token_reads_protects_reads_too(db, redis, migrated_url, valkey, video_dir) -> None:
    settings = settings_for(migrated_url, valkey.url, video_dir, API_TOKEN="s3cret", API_TOKEN_READS=True)
    async for client in _client(settings):
        assert (await client.get("/tasks")).status_code == 401
        assert (await client.get("/tasks", headers={"Authorization": "Bearer s3cret"})).status_code == 200


async def test_discovery_of_a_library_larger_than_one_batch(db, redis, migrated_url, valkey, tmp_path) -> None:
    """601 files in nested folders: several registration batches, every task enqueued once;
    discovery does not decode, so files that are not real videos register too."""
    library = tmp_path / "big"
    for i in range(601):
        folder = library / f"shelf{i % 7}" / f"box{i % 13}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"clip{i:04d}.mp4").write_bytes(i.to_bytes(4, "big") * 64)
    async for client in _client(settings_for(migrated_url, valkey.url, library)):
        report = (await client.post("/videos/discover")).json()
        assert report["found"] == 601 and len(report["created"]) == 601 and report["errors"] == []
        assert await redis.zcard(GPU_QUEUE) == 5 * 601 and await redis.zcard(CPU_QUEUE) == 601
        assert (await client.get("/tasks", params={"limit": 1})).json()["total"] == 6 * 601
        again = (await client.post("/videos/discover")).json()
        assert again["created"] == [] and await redis.zcard(GPU_QUEUE) == 5 * 601


async def test_cursor_pages_walk_the_same_rows_as_one_big_page(api, db) -> None:
    """Every cursor sort and order, with ties in created_at (six tasks per video share it)
    and NULL started_at (pending tasks): the pages concatenate to the full listing."""
    await _discover(api)
    tasks = (await api.get("/tasks", params={"limit": 500})).json()["items"]
    repo = SqlTaskRepository(db)
    start = utcnow()
    for i, t in enumerate(tasks[:5]):  # start a few (two at the same instant): values, ties and NULLs
        assert await repo.apply(t["task_id"], Event.START, start + timedelta(seconds=min(i, 3)))
    for sort in ("created_at", "started_at"):
        for order in ("asc", "desc"):
            params = {"sort": sort, "order": order}
            full = (await api.get("/tasks", params={**params, "limit": 500})).json()
            everything = [t["task_id"] for t in full["items"]]
            walked, cursor = [], None
            while True:
                more = {"cursor": cursor} if cursor else {}
                page = (await api.get("/tasks", params={**params, "limit": 5, **more})).json()
                walked += [t["task_id"] for t in page["items"]]
                cursor = page["next_cursor"]
                if cursor is None:
                    break
            assert walked == everything and len(walked) == 12, (sort, order)


async def test_bad_cursors_get_400(api) -> None:
    await _discover(api)
    cursor = (await api.get("/tasks", params={"limit": 2})).json()["next_cursor"]
    assert cursor
    for params in ({"cursor": "not-a-cursor"}, {"cursor": cursor, "order": "asc"},
                   {"cursor": cursor, "sort": "running_time"}, {"cursor": cursor, "offset": 5}):
        response = await api.get("/tasks", params=params)
        assert response.status_code == 400 and response.json()["detail"], (params, response.text)
    # Well-formed but never issued: times at the edge of what Python and PostgreSQL hold.
    task_id = "0b9c1d2e-0000-4000-8000-000000000000"
    for moment in ("9999-12-31T23:59:59-05:00", "9999-12-31T23:59:59", "0001-01-01T00:00:00+05:00"):
        raw = json.dumps(["created_at", "desc", moment, task_id]).encode()
        forged = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        response = await api.get("/tasks", params={"cursor": forged})
        assert response.status_code == 400, (moment, response.text)


async def test_list_totals_come_from_a_shared_snapshot(db, redis, migrated_url, valkey, video_dir) -> None:
    """Changes by other processes (workers) show in `total` within TASK_TOTALS_CACHE_SECONDS;
    the API's own writes and one video's listing are exact at once."""
    async for client in _client(settings_for(migrated_url, valkey.url, video_dir, TASK_TOTALS_CACHE_SECONDS=0.5)):
        await _discover(client)
        pending = (await client.get("/tasks", params={"status": "pending"})).json()
        assert pending["total"] == 12
        task = pending["items"][0]
        assert await SqlTaskRepository(db).apply(task["task_id"], Event.START, utcnow())  # as a worker would
        assert (await client.get("/tasks", params={"status": "running"})).json()["total"] == 0  # snapshot
        one_video = (await client.get("/tasks", params={"status": "running", "video_id": task["video_id"]})).json()
        assert one_video["total"] == 1
        await asyncio.sleep(0.6)
        assert (await client.get("/tasks", params={"status": "running"})).json()["total"] == 1
        assert (await client.post(f"/tasks/{pending['items'][1]['task_id']}/cancel")).status_code == 200
        assert (await client.get("/tasks", params={"status": "cancelled"})).json()["total"] == 1


async def test_tasks_and_videos_show_how_far_a_run_has_got(api, db) -> None:
    from factories import response

    from reelscan_shared.domain.artifacts import Provenance
    from reelscan_shared.domain.segments import Segment

    await _discover(api)
    video = next(v for v in (await api.get("/videos")).json()["items"] if v["path"].endswith("text.mp4"))
    tasks = (await api.get("/tasks", params={"video_id": video["video_id"]})).json()["items"]
    ocr = next(t for t in tasks if t["task_type"] == "ocr")
    assert ocr["progress"] == {"done_ms": 0, "total_ms": None, "percent": None, "eta_s": None}
    repo = SqlTaskRepository(db)
    await repo.start(ocr["task_id"], utcnow())
    r = response()
    provenance = Provenance(run_id=r.run_id, producer=r.producer, producer_version=r.producer_version,
                            model_profile=r.model_profile, config_hash=r.config_hash, input_hash=r.input_hash)
    # a quarter of a 4-minute video analysed, in 30 s of work
    await repo.add_segment(ocr["task_id"], Segment(0, 0, 60_000, "ocr_text", 1, provenance, 240_000, 30_000), utcnow())
    progress = (await api.get(f"/tasks/{ocr['task_id']}")).json()["progress"]
    assert progress == {"done_ms": 60_000, "total_ms": 240_000, "percent": 25.0, "eta_s": 90.0}
    listed = (await api.get("/tasks", params={"status": "running"})).json()["items"]
    assert [t["progress"]["percent"] for t in listed] == [25.0]
    for other in tasks:
        if other["task_type"] in ("face_detection", "scene_detection"):
            await repo.apply(other["task_id"], Event.CANCEL, utcnow())
    shown = (await api.get(f"/videos/{video['video_id']}")).json()
    # six tasks: two finished (100), one a quarter done, three pending (0)
    assert shown["percent"] == round((100 + 100 + 25) / 6, 1) and shown["eta_s"] == 90.0
    assert shown["task_counts"]["running"] == 1 and shown["task_counts"]["cancelled"] == 2


async def test_a_nul_character_in_a_parameter_is_the_requests_fault_not_an_outage(api) -> None:
    """PostgreSQL cannot hold NUL in text: a parameter carrying one answers 422 with why,
    never 503 "database unavailable" (found by schemathesis on /videos?label=)."""
    for path, params in (("/videos", {"label": "cat\x00"}), ("/search", {"q": "harbor\x00"}),
                         ("/tasks", {"video_id": "x\x00"})):
        response = await api.get(path, params=params)
        assert response.status_code == 422, (path, response.status_code, response.text)
        [error] = response.json()["detail"]  # FastAPI's shape, naming the parameter
        assert error["loc"] == ["query", next(iter(params))] and "NUL" in error["msg"], error
