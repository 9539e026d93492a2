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
