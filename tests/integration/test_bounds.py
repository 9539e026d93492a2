"""What one request can cost the API (issue 26): its body is capped, its reads run under
PostgreSQL's statement_timeout, and its query is cancelled when the client goes away.
The API runs as a real process (uvicorn) on the embedded PostgreSQL; a table lock held
by the test stands for a slow query, so nothing depends on the machine's speed."""

from __future__ import annotations

import asyncio
import io
import re
import struct
import time
from collections.abc import AsyncIterator, Iterator
from fractions import Fraction
from pathlib import Path

import av
import httpx
import numpy as np
import pytest
import sample_videos as sv
import sqlalchemy as sa
from api_processes import running_api
from factories import video
from PIL import Image
from test_api import _client, settings_for

from reelscan_api import probe
from reelscan_ml import frames as ml_frames
from reelscan_shared.adapters.db import SqlVideoRepository

WAITING = sa.text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                  "AND datname = current_database() AND query LIKE '%FROM videos%'")


@pytest.fixture(scope="module")
def bounded_api(migrated_url: str, valkey, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    library = tmp_path_factory.mktemp("bounds-videos")
    with running_api(DATABASE_URL=migrated_url, REDIS_URL=valkey.url, VIDEO_PATHS=str(library),
                     API_MAX_BODY_BYTES="4096", DB_STATEMENT_TIMEOUT_MS="1000") as url:
        yield url


@pytest.fixture(scope="module")
def unbounded_api(migrated_url: str, valkey, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    library = tmp_path_factory.mktemp("unbounded-videos")
    with running_api(DATABASE_URL=migrated_url, REDIS_URL=valkey.url, VIDEO_PATHS=str(library),
                     DB_STATEMENT_TIMEOUT_MS="0") as url:
        yield url


@pytest.fixture
async def videos_locked(db) -> AsyncIterator[None]:
    """Every read of ``videos`` waits (as long as the test holds the lock)."""
    async with db.engine.connect() as conn:
        await conn.execute(sa.text("BEGIN"))
        await conn.execute(sa.text("LOCK TABLE videos IN ACCESS EXCLUSIVE MODE"))
        yield
        await conn.execute(sa.text("ROLLBACK"))


async def waiting_reads(db) -> int:
    async with db.reads.connect() as conn:
        return int((await conn.execute(WAITING)).scalar_one())


async def until(check, expected: int, timeout_s: float = 20.0) -> int:
    deadline = time.monotonic() + timeout_s
    while (found := await check()) != expected and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return found


async def test_a_body_over_the_limit_is_413_declared_or_chunked(bounded_api: str) -> None:
    async with httpx.AsyncClient(base_url=bounded_api, timeout=30) as client:
        small = await client.post("/auth/session", json={"token": "x" * 100})
        assert small.status_code != 413
        declared = await client.post("/auth/session", content=b"{" + b" " * 10_000 + b"}",
                                     headers={"content-type": "application/json"})
        assert declared.status_code == 413 and "API_MAX_BODY_BYTES" in declared.json()["detail"]
        assert (await client.get("/live")).status_code == 200
    # chunked (no Content-Length): 5 chunks of 1000 bytes, then the client waits for the answer
    # without ending its body; the API answers as soon as the bytes pass the limit
    host, port = bounded_api.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(b"POST /auth/session HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                 b"Transfer-Encoding: chunked\r\n\r\n")
    for _ in range(5):
        writer.write(b"3e8\r\n" + b" " * 1000 + b"\r\n")
    await writer.drain()
    # The head and the body may come in separate packets: read the head, then its body.
    head = (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)).decode()
    length = int(re.search(r"(?im)^content-length:\s*(\d+)", head).group(1))  # type: ignore[union-attr]
    body = (await asyncio.wait_for(reader.readexactly(length), 30)).decode()
    writer.close()
    assert head.startswith("HTTP/1.1 413") and "4096 bytes" in body, head + body


async def test_a_read_past_the_statement_timeout_is_503_with_the_reason(bounded_api: str, db,
                                                                       videos_locked: None) -> None:
    async with httpx.AsyncClient(base_url=bounded_api, timeout=60) as client:
        resp = await client.get("/videos")
    assert resp.status_code == 503, resp.text
    assert "DB_STATEMENT_TIMEOUT_MS" in resp.json()["detail"]
    assert await waiting_reads(db) == 0  # PostgreSQL stopped it, not only the API


async def test_a_read_whose_client_left_is_cancelled_in_postgres(unbounded_api: str, db,
                                                                 videos_locked: None) -> None:
    async with httpx.AsyncClient(base_url=unbounded_api, timeout=60) as client:
        request = asyncio.create_task(client.get("/videos"))
        assert await until(lambda: waiting_reads(db), 1) == 1  # the query waits (no statement_timeout here)
        request.cancel()  # the client goes away: its connection closes
        with pytest.raises(asyncio.CancelledError):
            await request
    assert await until(lambda: waiting_reads(db), 0) == 0  # while the lock is still held


def solid_video(path: Path, width: int, height: int, frames: int = 1) -> Path:
    """A small H.264 file of a big picture (8192x8192 of one colour is a few hundred KB)."""
    return sv.write_video(path, (np.full((height, width, 3), (40, 160, 90), np.uint8) for _ in range(frames)))


async def test_a_frame_of_a_video_above_max_video_pixels_is_refused_undecoded(db, redis, migrated_url, valkey,
                                                                            tmp_path: Path) -> None:
    huge = solid_video(tmp_path / "huge.mp4", 8192, 8192)  # the file: 1 GB of API memory per frame
    small = solid_video(tmp_path / "small.mp4", 1280, 720, frames=3)
    videos = {name: video(str(p), duration_ms=100) for name, p in (("huge", huge), ("small", small))}
    for v in videos.values():
        await SqlVideoRepository(db).add_with_tasks(v, [])
    async for api in _client(settings_for(migrated_url, valkey.url, tmp_path)):
        refused = await api.get(f"/videos/{videos['huge'].video_id}/frame", params={"t_ms": 0, "width": 160})
        assert refused.status_code == 422, refused.text
        assert "8192x8192" in refused.text and "MAX_VIDEO_PIXELS" in refused.text
        shown = await api.get(f"/videos/{videos['small'].video_id}/frame", params={"t_ms": 0, "width": 320})
        assert shown.status_code == 200
        assert Image.open(io.BytesIO(shown.content)).size == (320, 180)
    # an operator may allow it; the frame is then made at the width asked for
    async for api in _client(settings_for(migrated_url, valkey.url, tmp_path, MAX_VIDEO_PIXELS=8192 * 8192)):
        allowed = await api.get(f"/videos/{videos['huge'].video_id}/frame", params={"t_ms": 0, "width": 160})
        assert allowed.status_code == 200
        assert Image.open(io.BytesIO(allowed.content)).size == (160, 160)


def lying_mkv(path: Path) -> Path:
    """A 2 s Matroska file whose header says it lasts 10^13 ms (317 years)."""
    with av.open(str(path), "w", format="matroska") as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(20):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), i * 10, np.uint8), format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, 10)
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    data = bytearray(path.read_bytes())
    at = data.find(b"\x44\x89")  # the Segment Info's Duration element: an 8-byte float, in ms
    assert at > 0 and data[at + 2] == 0x88
    data[at + 3:at + 11] = struct.pack(">d", 1e13)
    path.write_bytes(bytes(data))
    with av.open(str(path)) as container:
        assert container.duration is not None and container.duration / av.time_base > 1e9  # the lie is read
    return path


async def test_a_header_claiming_317_years_is_stored_as_the_2_s_its_packets_support(
        db, redis, migrated_url, valkey, tmp_path: Path) -> None:
    library = tmp_path / "library"
    library.mkdir()
    path = lying_mkv(library / "lying.mkv")
    assert 1_900 <= (probe.duration_ms_of(path) or 0) <= 2_100
    assert 1_900 <= (ml_frames.duration_ms(path) or 0) <= 2_100  # what the worker's segments run up to
    truthful = sv.write_video(library / "truthful.mp4", (np.zeros((48, 64, 3), np.uint8) for _ in range(50)))
    with av.open(str(truthful)) as container:
        assert container.duration is not None
        header_ms = int(container.duration * 1000 / av.time_base)
    assert probe.duration_ms_of(truthful) == header_ms == ml_frames.duration_ms(truthful)

    async for api in _client(settings_for(migrated_url, valkey.url, library)):
        assert (await api.post("/videos/discover")).status_code == 200
        listed = {Path(v["path"]).name: v["duration_ms"] for v in (await api.get("/videos")).json()["items"]}
    assert 1_900 <= listed["lying.mkv"] <= 2_100 and listed["truthful.mp4"] == header_ms
