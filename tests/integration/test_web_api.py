"""What the web app needs from the API (issue 27): the video file with HTTP Range,
server-sent events, and the library list's filters, sorts and per-video figures,
over HTTP on real PostgreSQL and Valkey."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from reelscan_api.app import create_app
from reelscan_api.settings import ApiSettings
from reelscan_shared.adapters.db import SqlVideoRepository


def _settings(migrated_url: str, redis_url: str, video_dir: Path, **extra: object) -> ApiSettings:
    values: dict[str, object] = {
        "DATABASE_URL": migrated_url, "REDIS_URL": redis_url, "VIDEO_PATHS": str(video_dir),
        "DISCOVERY_INTERVAL": 0, "DISCOVERY_SETTLE_SECONDS": 0, "ML_SERVICE_URL": "http://127.0.0.1:9",
        "HEALTH_TIMEOUT_SECONDS": 1,
    }
    return ApiSettings(**{**values, **extra})


@pytest.fixture
async def api(db, redis, migrated_url, valkey, video_dir) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(_settings(migrated_url, valkey.url, video_dir))
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport,
                                                                   base_url="http://localhost") as c:
        yield c


async def _videos(api: httpx.AsyncClient) -> dict[str, dict]:
    assert (await api.post("/videos/discover")).status_code == 200
    return {Path(v["path"]).name: v for v in (await api.get("/videos")).json()["items"]}


# --- GET /videos/{id}/media ---------------------------------------------------------

async def test_media_serves_the_file_with_ranges(api, video_dir) -> None:
    videos = await _videos(api)
    data = (video_dir / "text.mp4").read_bytes()
    size = len(data)
    url = f"/videos/{videos['text.mp4']['video_id']}/media"
    whole = await api.get(url)
    assert whole.status_code == 200 and whole.content == data
    assert whole.headers["accept-ranges"] == "bytes" and whole.headers["content-type"] == "video/mp4"
    cases = {"bytes=0-99": (0, 99), f"bytes=100-{size // 2}": (100, size // 2),
             f"bytes={size - 300}-": (size - 300, size - 1), "bytes=-50": (size - 50, size - 1),
             f"bytes={size - 10}-{size + 1000}": (size - 10, size - 1)}
    for header, (first, last) in cases.items():
        part = await api.get(url, headers={"Range": header})
        assert part.status_code == 206, header
        assert part.headers["content-range"] == f"bytes {first}-{last}/{size}", header
        assert part.content == data[first:last + 1], header
        assert part.headers["content-type"] == "video/mp4"
    beyond = await api.get(url, headers={"Range": f"bytes={size}-{size + 10}"})
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{size}"
    mov = await api.get(f"/videos/{videos['cuts.MOV']['video_id']}/media", headers={"Range": "bytes=0-9"})
    assert mov.status_code == 206 and mov.headers["content-type"] == "video/quicktime"
    assert videos["text.mp4"]["playable"] is True and videos["cuts.MOV"]["playable"] is True


async def test_media_is_confined_to_the_library_and_says_when_the_file_is_gone(api, db, video_dir,
                                                                               tmp_path) -> None:
    from factories import video

    outside = tmp_path / "elsewhere.mkv"
    outside.write_bytes(b"\x1a\x45\xdf\xa3 not in the library")
    stray = video(str(outside))
    await SqlVideoRepository(db).add_with_tasks(stray, [])
    refused = await api.get(f"/videos/{stray.video_id}/media")
    assert refused.status_code == 403 and "outside the configured VIDEO_PATHS" in refused.json()["detail"]
    assert (await api.get(f"/videos/{stray.video_id}")).json()["playable"] is False

    videos = await _videos(api)
    (video_dir / "text.mp4").unlink()
    gone = await api.get(f"/videos/{videos['text.mp4']['video_id']}/media")
    assert gone.status_code == 404 and "missing" in gone.json()["detail"]
    assert (await api.get("/videos/00000000-0000-0000-0000-000000000000/media")).status_code == 404


async def test_media_needs_read_credentials(db, redis, migrated_url, valkey, video_dir) -> None:
    app = create_app(_settings(migrated_url, valkey.url, video_dir, API_TOKEN="a-long-enough-test-token-1234"))
    auth = {"Authorization": "Bearer a-long-enough-test-token-1234"}
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://localhost") as c:
        assert (await c.post("/videos/discover", headers=auth)).status_code == 200
        video_id = (await c.get("/videos", headers=auth)).json()["items"][0]["video_id"]
        assert (await c.get(f"/videos/{video_id}/media")).status_code == 401
        assert (await c.get(f"/videos/{video_id}/media", headers={**auth, "Range": "bytes=0-1"})).status_code == 206
        signed_in = await c.post("/auth/session", json={"token": "a-long-enough-test-token-1234"})
        assert signed_in.status_code == 204
        assert (await c.get(f"/videos/{video_id}/media", headers={"Range": "bytes=0-1"})).status_code == 206


# --- GET /videos: status, sort, label, progress and findings ----------------------------

async def test_library_list_filters_sorts_and_shows_progress_and_findings(api, db) -> None:
    from factories import task, video
    from test_search import on_screen, store, track

    from reelscan_shared.adapters.db import SqlTaskRepository
    from reelscan_shared.domain.clock import utcnow
    from reelscan_shared.domain.tasks import Event, TaskType

    park = video("/videos/park.mp4", duration_ms=30_000)
    alpha = video("/videos/b/Alpha.mov", duration_ms=10_000)
    zoo = video("/videos/zoo.mkv")  # length unknown
    for v in (park, alpha, zoo):
        await SqlVideoRepository(db).add_with_tasks(v, [])
    await store(db, park, TaskType.OBJECT_DETECTION, [track("dog", list(range(0, 20_000, 1000))),
                                                      track("person", list(range(0, 10_000, 1000))),
                                                      track("cat", [0])])
    await store(db, park, TaskType.FACE_DETECTION, [track("face", [0])])
    await store(db, park, TaskType.OCR, [on_screen(0, 1000, "CHAPTER ONE"), on_screen(5000, 6000, "CHAPTER ONE"),
                                         on_screen(8000, 9000, "EXIT")])
    await store(db, park, TaskType.SCENE_DETECTION, [
        {"span_start_ms": s, "span_end_ms": s + 15_000, "payload": {
            "scene_index": i, "start_ms": s, "end_ms": s + 15_000, "start_frame": s // 40,
            "end_frame": (s + 15_000) // 40}} for i, s in enumerate((0, 15_000))], version=1)
    tasks = SqlTaskRepository(db)
    running, failed = task(park.video_id, TaskType.TRANSCRIPTION), task(park.video_id, TaskType.PLACE_DETECTION)
    for t in (running, failed):
        await tasks.add(t)
        await tasks.start(t.task_id, utcnow())
    await tasks.apply(failed.task_id, Event.FAIL, utcnow(), error="boom")
    await tasks.add(task(alpha.video_id, TaskType.OCR))

    listed = (await api.get("/videos")).json()
    assert [v["video_id"] for v in listed["items"]] == [zoo.video_id, alpha.video_id, park.video_id]  # newest first
    by_id = {v["video_id"]: v for v in listed["items"]}
    assert by_id[park.video_id]["progress"] == {"total": 6, "completed": 4, "running": 1, "failed": 1}
    assert by_id[alpha.video_id]["progress"] == {"total": 1, "completed": 0, "running": 0, "failed": 0}
    assert by_id[zoo.video_id]["progress"] == {"total": 0, "completed": 0, "running": 0, "failed": 0}
    found = by_id[park.video_id]["findings"]
    assert found["top_labels"][:2] == [{"kind": "objects", "label": "dog"}, {"kind": "objects", "label": "person"}]
    assert len(found["top_labels"]) == 3
    assert (found["words_read"], found["scenes"]) == (3, 2)  # CHAPTER ONE once, EXIT
    summary = (await api.get(f"/videos/{park.video_id}/summary")).json()
    assert found["face_seconds"] == summary["faces_on_screen_ms"] / 1000 > 0
    assert by_id[zoo.video_id]["findings"] == {"top_labels": [], "face_seconds": 0.0, "words_read": 0, "scenes": 0}
    assert (await api.get(f"/videos/{park.video_id}")).json()["findings"] == found
    assert [v["playable"] for v in listed["items"]] == [False, True, True]

    async def ids(**params: object) -> list[str]:
        resp = await api.get("/videos", params=params)
        assert resp.status_code == 200, resp.text
        return [v["video_id"] for v in resp.json()["items"]]

    assert await ids(sort="name") == [alpha.video_id, park.video_id, zoo.video_id]
    assert await ids(sort="duration") == [alpha.video_id, park.video_id, zoo.video_id]
    assert await ids(sort="newest", limit=1, offset=1) == [alpha.video_id]
    assert await ids(label="dog") == [park.video_id] == await ids(label="face")
    assert await ids(label="giraffe") == []
    assert (await api.get("/videos", params={"label": "dog"})).json()["total"] == 1


async def test_library_list_by_status_and_bad_values(api, video_dir) -> None:
    videos = await _videos(api)
    (video_dir / "nested" / "cuts.MOV").unlink()
    assert (await api.post("/videos/discover")).status_code == 200
    cuts = videos["cuts.MOV"]["video_id"]

    async def ids(**params: object) -> set[str]:
        resp = await api.get("/videos", params=params)
        assert resp.status_code == 200, resp.text
        return {v["video_id"] for v in resp.json()["items"]}

    everything = {v["video_id"] for v in videos.values()}
    assert await ids() == everything - {cuts} == await ids(status="present")
    assert await ids(status="missing") == {cuts}
    assert await ids(status="all") == everything == await ids(include_missing=True)
    assert await ids(status="present", include_missing=True) == everything - {cuts}  # status wins
    for bad in ({"status": "gone"}, {"sort": "size"}, {"label": ""}, {"label": "x" * 201}, {"limit": 0}):
        assert (await api.get("/videos", params=bad)).status_code == 422, bad


async def test_library_figures_take_the_same_queries_for_one_video_or_many(db, redis, migrated_url, valkey,
                                                                          video_dir) -> None:
    from factories import video
    from sqlalchemy import event

    for i in range(12):
        await SqlVideoRepository(db).add_with_tasks(video(f"/videos/v{i}.mp4"), [])
    app = create_app(_settings(migrated_url, valkey.url, video_dir))
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://localhost") as c:
        statements: list[str] = []
        engine = app.state.container.db.reads.sync_engine
        event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        counts = []
        for limit in (1, 12):
            statements.clear()
            assert len((await c.get("/videos", params={"limit": limit})).json()["items"]) == limit
            counts.append(len(statements))
    assert counts[0] == counts[1]
