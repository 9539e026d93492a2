"""``GET /events`` against a real API process on the embedded stores: the changes other
processes make (discovery through the API, a worker's task transitions through the
shared repositories) arrive as server-sent events, in order, resumable, behind the token.

No speed is checked anywhere: each wait is a generous bound on a count or a state."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_processes import REPO, running_api, wait_until_answers
from embedded_servers import free_port

from reelscan_api.live_events import Cursor
from reelscan_shared.adapters.db import SqlTaskRepository
from reelscan_shared.domain.artifacts import Provenance
from reelscan_shared.domain.clock import utcnow
from reelscan_shared.domain.segments import Segment

TOKEN = "live-events-test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
WAIT_S = 60.0  # liveness bound for every wait, never a speed check
STREAM_TIMEOUT = httpx.Timeout(10, read=WAIT_S)


@dataclass
class Sse:
    id: str | None
    event: str
    data: dict[str, Any]


@dataclass
class Listener:
    """What one stream has said so far: its events, comments and retry field."""

    events: list[Sse] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    retry: int | None = None
    ended_cleanly: bool = False

    async def read(self, response: httpx.Response) -> None:
        fields: dict[str, str] = {}
        async for line in response.aiter_lines():
            if line == "":
                if "event" in fields:
                    self.events.append(Sse(fields.get("id"), fields["event"], json.loads(fields["data"])))
                fields = {}
            elif line.startswith(":"):
                self.comments.append(line[1:].strip())
            else:
                name, _, value = line.partition(":")
                if name == "retry":
                    self.retry = int(value)
                else:
                    fields[name] = value.removeprefix(" ")
        self.ended_cleanly = True

    def of(self, event: str, key: str, value: str) -> list[dict[str, Any]]:
        return [e.data for e in self.events if e.event == event and e.data[key] == value]


async def until(condition: Callable[[], Any], what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_S
    while not condition():
        assert loop.time() < deadline, f"no {what} within {WAIT_S:.0f}s"
        await asyncio.sleep(0.05)


@asynccontextmanager
async def listening(client: httpx.AsyncClient, **headers: str) -> AsyncIterator[Listener]:
    """An open ``GET /events`` stream, read in the background; open once its first field came."""
    listener = Listener()
    async with client.stream("GET", "/events", headers=headers, timeout=STREAM_TIMEOUT) as response:
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-cache"
        assert response.headers["x-accel-buffering"] == "no"
        reader = asyncio.create_task(listener.read(response))
        try:
            await until(lambda: listener.retry is not None or reader.done(), "first field")
            assert listener.retry is not None
            yield listener
        finally:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)


@pytest.fixture(scope="module")
def events_api(migrated_url: str, valkey, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    library = tmp_path_factory.mktemp("events-videos")
    with running_api(DATABASE_URL=migrated_url, REDIS_URL=valkey.url, VIDEO_PATHS=str(library), API_TOKEN=TOKEN,
                     EVENTS_POLL_SECONDS="0.2", EVENTS_KEEPALIVE_SECONDS="1") as url:
        yield url, library


async def _discover_one(client: httpx.AsyncClient, library: Path, source: Path, name: str) -> str:
    shutil.copy(source, library / name)
    report = await client.post("/videos/discover")
    assert report.status_code == 200, report.text
    [created] = [v for v in report.json()["created"] if v["path"].endswith(name)]
    return str(created["video_id"])


async def _ocr_task(client: httpx.AsyncClient, video_id: str) -> str:
    tasks = (await client.get("/tasks", params={"video_id": video_id})).json()["items"]
    return str(next(t["task_id"] for t in tasks if t["task_type"] == "ocr"))


def _segment() -> Segment:
    provenance = Provenance(run_id="r1", producer="reelscan-ml/ocr", producer_version="test 1",
                            model_profile="test-profile", config_hash="c" * 64, input_hash="i" * 64)
    return Segment(0, 0, 60_000, "ocr_text", 1, provenance, 240_000, 30_000)


def _cursor(e: Sse) -> Cursor:
    cursor = Cursor.decode(e.id or "")
    assert cursor is not None, e
    return cursor


def _states(listener: Listener, task_id: str) -> list[tuple[str, int]]:
    """The task's (status, done_ms) as its events told them, repeats of the same state dropped."""
    states: list[tuple[str, int]] = []
    for e in listener.of("task", "task_id", task_id):
        state = (e["status"], e["progress"]["done_ms"])
        if not states or states[-1] != state:
            states.append(state)
    return states


async def test_task_progress_state_changes_and_found_videos_arrive_in_order(events_api, db, sample_videos) -> None:
    url, library = events_api
    repo = SqlTaskRepository(db)
    async with httpx.AsyncClient(base_url=url, headers=AUTH, timeout=30) as client, listening(client) as live:
        video_id = await _discover_one(client, library, sample_videos["text"], "found.mp4")
        await until(lambda: live.of("video", "video_id", video_id), "video event")
        task_id = await _ocr_task(client, video_id)
        await until(lambda: live.of("task", "task_id", task_id), "event for the new task")

        await repo.start(task_id, utcnow())
        await until(lambda: _states(live, task_id)[-1] == ("running", 0), "running")
        await repo.add_segment(task_id, _segment(), utcnow())
        await until(lambda: _states(live, task_id)[-1] == ("running", 60_000), "progress")
        assert await repo.complete_with_artifacts(task_id, [], utcnow())
        await until(lambda: _states(live, task_id)[-1][0] == "completed", "completion")
        shown = (await client.get(f"/tasks/{task_id}")).json()

    assert live.of("video", "video_id", video_id) == [{"video_id": video_id, "status": "present"}]
    # A completed run counts as the whole video done.
    assert _states(live, task_id) == [("pending", 0), ("running", 0), ("running", 60_000), ("completed", 240_000)]
    progress = [e["progress"] for e in live.of("task", "task_id", task_id)]
    assert {"done_ms": 60_000, "total_ms": 240_000, "percent": 25.0, "eta_s": 90.0} in progress
    last = live.of("task", "task_id", task_id)[-1]
    assert last == {"task_id": task_id, "video_id": video_id, "task_type": "ocr", "status": "completed",
                    "progress": shown["progress"], "error": None}  # as GET /tasks/{id} tells it
    # The video before its tasks (one transaction: its rows, videos first), ids strictly ascending.
    kinds = [(e.event, e.data.get("task_id")) for e in live.events]
    assert kinds.index(("video", None)) < kinds.index(("task", task_id))
    cursors = [_cursor(e) for e in live.events]
    assert cursors == sorted(set(cursors))


async def test_last_event_id_resumes_after_it_without_repeats(events_api, db, sample_videos) -> None:
    url, library = events_api
    repo = SqlTaskRepository(db)
    async with httpx.AsyncClient(base_url=url, headers=AUTH, timeout=30) as client:
        async with listening(client) as first:
            video_id = await _discover_one(client, library, sample_videos["cuts"], "resume.mp4")
            task_id = await _ocr_task(client, video_id)
            await repo.start(task_id, utcnow())
            await until(lambda: ("running", 0) in _states(first, task_id), "running")
            resume_at = next(e for e in first.events if e.data.get("task_id") == task_id
                             and e.data["status"] == "running")
            await repo.add_segment(task_id, _segment(), utcnow())
            assert await repo.complete_with_artifacts(task_id, [], utcnow())
            await until(lambda: _states(first, task_id)[-1][0] == "completed", "completion")

        async with listening(client, **{"Last-Event-ID": _cursor(resume_at).encode()}) as resumed:
            await until(lambda: resumed.of("task", "task_id", task_id)
                        and resumed.of("task", "task_id", task_id)[-1]["status"] == "completed", "resumed completion")

    # Only what came after the id, each as the first stream also saw it; nothing before it again.
    after = {e.id: e for e in first.events if _cursor(e) > _cursor(resume_at)}
    assert resumed.events and all(e.id in after and after[e.id] == e for e in resumed.events)
    assert not resumed.of("video", "video_id", video_id)
    assert resumed.events[-1].data["status"] == "completed"


async def test_credentials_are_needed_when_a_token_is_set(events_api) -> None:
    url, _ = events_api
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        refused = await client.get("/events")
        assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
        assert (await client.get("/events", headers={"Authorization": "Bearer wrong-token"})).status_code == 401
        # A browser: signed in, its EventSource sends the session cookie.
        assert (await client.post("/auth/session", json={"token": TOKEN})).status_code == 204
        async with listening(client) as live:
            await until(lambda: "keep-alive" in live.comments, "keep-alive comment")  # EVENTS_KEEPALIVE_SECONDS=1


async def test_a_stopping_server_ends_its_streams_instead_of_waiting_on_them(migrated_url, valkey, tmp_path) -> None:
    port = free_port()
    env = {**os.environ, "API_PORT": str(port), "DATABASE_URL": migrated_url, "REDIS_URL": valkey.url,
           "VIDEO_PATHS": str(tmp_path), "DISCOVERY_INTERVAL": "0", "LOG_LEVEL": "INFO",
           "ML_SERVICE_URL": f"http://127.0.0.1:{free_port()}"}
    proc = subprocess.Popen([sys.executable, "-m", "reelscan_api.cli", "serve"], env=env, cwd=REPO,
                            stderr=subprocess.PIPE, text=True)
    try:
        await asyncio.to_thread(wait_until_answers, f"http://127.0.0.1:{port}/openapi.json", proc, 30)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            listener = Listener()
            async with client.stream("GET", "/events", timeout=STREAM_TIMEOUT) as response:
                reader = asyncio.create_task(listener.read(response))
                await until(lambda: listener.retry is not None, "first field")
                proc.send_signal(signal.SIGTERM)
                await asyncio.wait_for(reader, WAIT_S)  # raises if the server cut the stream off
        assert listener.ended_cleanly
        _, stderr = await asyncio.to_thread(proc.communicate, timeout=WAIT_S)
        # uvicorn, once shut down, raises the signal it caught again: -SIGTERM is its clean exit.
        assert proc.returncode in (0, -signal.SIGTERM), stderr
        assert "Application shutdown complete" in stderr and "graceful shutdown exceeded" not in stderr
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


async def test_a_stream_ends_when_its_client_goes(migrated_url, valkey, tmp_path) -> None:
    """The app itself (no server in between): once the client has disconnected, the
    request ends instead of polling the database for nobody."""
    from reelscan_api.app import create_app
    from reelscan_api.settings import ApiSettings

    app = create_app(ApiSettings(DATABASE_URL=migrated_url, REDIS_URL=valkey.url, VIDEO_PATHS=str(tmp_path),
                                 DISCOVERY_INTERVAL=0, ML_SERVICE_URL="http://127.0.0.1:9",
                                 EVENTS_POLL_SECONDS=0.1))
    scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
             "method": "GET", "scheme": "http", "path": "/events", "raw_path": b"/events", "query_string": b"",
             "root_path": "", "headers": [(b"host", b"localhost")], "client": ("127.0.0.1", 1),
             "server": ("localhost", 80)}
    sent: list[dict[str, Any]] = []
    gone = asyncio.Event()
    requested = False

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async with app.router.lifespan_context(app):
        request = asyncio.create_task(app(scope, receive, send))
        await until(lambda: any(b"retry:" in m.get("body", b"") for m in sent) or request.done(), "first field")
        assert sent[0]["status"] == 200
        gone.set()
        await asyncio.wait_for(asyncio.shield(request), WAIT_S)  # fails if the stream outlives its client
        assert not request.cancelled() and request.exception() is None
