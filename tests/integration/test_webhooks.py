"""Webhooks: events written with the change they report, delivered at least once with
valid signatures to a real HTTP receiver, through receiver outages and lost claims."""

from __future__ import annotations

import asyncio
import json
import shutil
import threading
import time
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from embedded_servers import free_port
from sqlalchemy import text as sql

from reelscan_shared.adapters.db import SqlTaskRepository
from reelscan_shared.adapters.db.outbox import SqlOutbox, emit
from reelscan_shared.domain.clock import utcnow
from reelscan_shared.domain.events import EVENT_ID_HEADER, SIGNATURE_HEADER, EventType, verify
from reelscan_shared.domain.tasks import Event
from reelscan_worker.webhooks import Dispatcher
from tests.integration.test_api import _client, settings_for
from tests.integration.test_library import scan, video_at

SECRET = "a-receiver-secret-of-some-length"


class Receiver:
    """A local HTTP receiver: records what it is sent; answers 500 while ``failing``."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.failing = False
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                owner.received.append((dict(self.headers), body))
                self.send_response(500 if owner.failing else 204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def events(self) -> dict[str, dict]:
        """What a receiver keeps after de-duplicating by event id (signatures checked)."""
        unique: dict[str, dict] = {}
        for headers, body in self.received:
            assert verify(SECRET, headers[SIGNATURE_HEADER], body, int(time.time())), "bad signature"
            event = json.loads(body)
            assert headers[EVENT_ID_HEADER] == event["event_id"]
            unique[event["event_id"]] = event
        return unique


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    r.start()
    yield r
    r.stop()


@pytest.fixture
def library(tmp_path: Path, sample_videos: dict[str, Path]) -> Path:
    root = tmp_path / "library"
    (root / "sub").mkdir(parents=True)  # the root stays listed (not empty) when the video goes
    shutil.copy(sample_videos["text"], root / "sub" / "text.mp4")
    return root


@pytest.fixture
async def api(db, redis, migrated_url, valkey, library) -> AsyncIterator[httpx.AsyncClient]:
    settings = settings_for(migrated_url, valkey.url, library, TASK_TOTALS_CACHE_SECONDS=0, API_TOKEN="op-token")
    async for client in _client(settings):
        client.headers["Authorization"] = "Bearer op-token"
        yield client


@pytest.fixture
async def dispatcher(db) -> AsyncIterator[Dispatcher]:
    async with httpx.AsyncClient(timeout=5) as http:
        yield Dispatcher(SqlOutbox(db), http, secret=None)


async def finish(db, video_id: str, fail: str | None = None) -> None:
    """Every task of the video finishes at once (one transaction each, concurrently)."""
    repo = SqlTaskRepository(db)
    async with db.engine.connect() as conn:
        ids = (await conn.execute(sql("SELECT task_id FROM tasks WHERE video_id = :v"), {"v": video_id})).scalars()
        ids = [str(i) for i in ids]
    for task_id in ids:
        await repo.apply(task_id, Event.START, utcnow())

    async def end(task_id: str) -> None:
        if fail and task_id == ids[0]:
            await repo.apply(task_id, Event.FAIL, utcnow(), error=fail)
        else:
            assert await repo.complete_with_artifacts(task_id, [], utcnow(), "model-x")

    await asyncio.gather(*(end(t) for t in ids))


async def make_due(db) -> None:
    """Time passes: every pending delivery is due (its backoff or claim has lapsed)."""
    async with db.engine.begin() as conn:
        await conn.execute(sql("UPDATE webhook_deliveries SET next_attempt_at = now() - interval '1 second' "
                               "WHERE status = 'pending'"))


async def test_subscribe_and_receive_signed_events_exactly_once(api, db, dispatcher, receiver, library) -> None:
    resp = await api.post("/webhooks", json={"url": receiver.url, "secret": SECRET})
    assert resp.status_code == 201 and "secret" not in resp.json()
    assert all("secret" not in h for h in (await api.get("/webhooks")).json())
    await scan(api)
    video = await video_at(api, library / "sub" / "text.mp4")

    await finish(db, video["video_id"], fail="decoder said no")
    while await dispatcher.run_once():
        pass

    events = receiver.events()
    kinds = sorted(e["type"] for e in events.values())
    assert kinds == ["task.completed"] * 5 + ["task.failed", "video.completed"]
    [done] = [e for e in events.values() if e["type"] == "video.completed"]
    assert done["data"]["video_id"] == video["video_id"] and done["data"]["tasks"] == {"completed": 5, "failed": 1}
    [failed] = [e for e in events.values() if e["type"] == "task.failed"]
    assert failed["data"]["error"] == "decoder said no" and failed["data"]["path"] == str(library / "sub" / "text.mp4")
    assert len(receiver.received) == 7  # each sent once
    deliveries = (await api.get("/webhooks/deliveries", params={"status": "delivered"})).json()
    assert len(deliveries) == 7 and {d["attempts"] for d in deliveries} == {1}

    # A deleted file: video.missing.
    (library / "sub" / "text.mp4").unlink()
    await scan(api)
    await dispatcher.run_once()
    assert [e["type"] for e in receiver.events().values()].count("video.missing") == 1


async def test_a_receiver_down_then_back_gets_every_event(api, db, dispatcher, receiver, library) -> None:
    await api.post("/webhooks", json={"url": receiver.url, "secret": SECRET, "events": ["video.completed"]})
    await scan(api)
    video = await video_at(api, library / "sub" / "text.mp4")
    receiver.stop()  # down
    await finish(db, video["video_id"])
    assert await dispatcher.run_once() == 1  # only the subscribed event type
    [pending] = (await api.get("/webhooks/deliveries", params={"status": "pending"})).json()
    assert pending["attempts"] == 1 and "ConnectError" in pending["last_error"]
    assert await dispatcher.run_once() == 0  # backing off

    receiver.failing = True
    receiver.start()  # up, but answering 500
    await make_due(db)
    await dispatcher.run_once()
    [pending] = (await api.get("/webhooks/deliveries", params={"status": "pending"})).json()
    assert pending["attempts"] == 2 and pending["last_status"] == 500

    receiver.failing = False
    await make_due(db)
    await dispatcher.run_once()
    [delivered] = (await api.get("/webhooks/deliveries")).json()
    assert delivered["status"] == "delivered" and delivered["attempts"] == 3
    assert [e["type"] for e in receiver.events().values()] == ["video.completed"]


async def test_a_claim_lost_with_its_worker_is_delivered_again(api, db, dispatcher, receiver, library) -> None:
    await api.post("/webhooks", json={"url": receiver.url, "secret": SECRET, "events": ["video.completed"]})
    await scan(api)
    await finish(db, (await video_at(api, library / "sub" / "text.mp4"))["video_id"])
    outbox = SqlOutbox(db)
    [claimed] = await outbox.claim(10, lease_s=300)  # a worker took it, then was SIGKILLed
    assert await dispatcher.run_once() == 0  # leased: nobody else sends it meanwhile
    await make_due(db)  # the lease lapses
    assert await dispatcher.run_once() == 1
    assert len(receiver.events()) == 1 and claimed.event_id in receiver.events()


async def test_deliveries_give_up_after_the_window(db, dispatcher) -> None:
    outbox = SqlOutbox(db)
    await outbox.add_webhook(f"http://127.0.0.1:{free_port()}/gone", SECRET, None)
    async with db.engine.begin() as conn:
        await emit(conn, EventType.VIDEO_MISSING, {"video_id": "v"}, utcnow() - timedelta(days=2))
    await dispatcher.run_once()
    [gave_up] = await outbox.deliveries("failed", 10)
    assert gave_up["attempts"] == 1 and gave_up["last_error"]


async def test_no_subscriber_writes_no_event(db) -> None:
    async with db.engine.begin() as conn:
        await emit(conn, EventType.VIDEO_MISSING, {"video_id": "v"}, utcnow())
        assert (await conn.execute(sql("SELECT count(*) FROM events"))).scalar_one() == 0


async def test_subscriptions_are_operator_actions(api) -> None:
    anonymous = api.headers.pop("Authorization")
    assert (await api.get("/webhooks")).status_code == 401
    assert (await api.post("/webhooks", json={"url": "http://example.org/x", "secret": SECRET})).status_code == 401
    api.headers["Authorization"] = anonymous
    for bad in ({"url": "ftp://example.org/x", "secret": SECRET}, {"url": "not a url", "secret": SECRET},
                {"url": "http://example.org/x"},  # no secret, and no WEBHOOK_SECRET
                {"url": "http://example.org/x", "secret": "short"},
                {"url": "http://example.org/x", "secret": SECRET, "events": ["task.exploded"]}):
        assert (await api.post("/webhooks", json=bad)).status_code == 422, bad
    made = (await api.post("/webhooks", json={"url": "https://example.org/x", "secret": SECRET})).json()
    again = await api.post("/webhooks", json={"url": "https://example.org/x", "secret": SECRET})
    assert again.status_code == 409
    assert (await api.delete(f"/webhooks/{made['webhook_id']}")).status_code == 204
    assert (await api.delete(f"/webhooks/{made['webhook_id']}")).status_code == 404


async def test_a_blocked_task_is_reported_and_can_finish_its_video(api, db, dispatcher, receiver, library) -> None:
    """BLOCKED (no trained weights) ends a task for now: task.failed says status blocked and
    why, and when it is the video's last task to end, video.completed follows."""
    assert (await api.post("/webhooks", json={"url": receiver.url, "secret": SECRET})).status_code == 201
    await scan(api)
    video = await video_at(api, library / "sub" / "text.mp4")
    repo = SqlTaskRepository(db)
    tasks = (await api.get("/tasks", params={"video_id": video["video_id"]})).json()["items"]
    places = next(t["task_id"] for t in tasks if t["task_type"] == "place_detection")
    for t in tasks:
        await repo.apply(t["task_id"], Event.START, utcnow())
        if t["task_id"] != places:
            assert await repo.complete_with_artifacts(t["task_id"], [], utcnow(), "model-x")
    why = "no trained weights for place_detection: run `reelscan-ml models pull place_detection`"
    await repo.apply(places, Event.BLOCK, utcnow(), error=why)
    while await dispatcher.run_once():
        pass
    events = list(receiver.events().values())
    [blocked] = [e for e in events if e["type"] == "task.failed"]
    assert (blocked["data"]["status"], blocked["data"]["error"]) == ("blocked", why)
    [done] = [e for e in events if e["type"] == "video.completed"]
    assert done["data"]["tasks"] == {"completed": 5, "blocked": 1}
