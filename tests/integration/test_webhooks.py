"""Webhooks: events written with the change they report, delivered at least once with
valid signatures to a real HTTP receiver, through receiver outages and lost claims."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import socket
import socketserver
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
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
from reelscan_shared.domain.destinations import parse_allowed, system_resolve
from reelscan_shared.domain.events import EVENT_ID_HEADER, SIGNATURE_HEADER, EventType, verify
from reelscan_shared.domain.tasks import Event
from reelscan_worker.webhooks import CONNECT_ERROR, INVALID_URL, TIMEOUT, UNSIGNED, Dispatcher
from tests.integration.test_api import _client, settings_for
from tests.integration.test_library import scan, video_at

SECRET = "a-receiver-secret-of-some-length"
LOOPBACK = "127.0.0.0/8"


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
    settings = settings_for(migrated_url, valkey.url, library, TASK_TOTALS_CACHE_SECONDS=0, API_TOKEN="op-token",
                            WEBHOOK_ALLOW_PRIVATE=LOOPBACK)
    async for client in _client(settings):
        client.headers["Authorization"] = "Bearer op-token"
        yield client


@pytest.fixture
async def dispatcher(db) -> AsyncIterator[Dispatcher]:
    # The receivers here listen on loopback: an operator's WEBHOOK_ALLOW_PRIVATE lets them through.
    d = Dispatcher(SqlOutbox(db), secret=None, deadline_s=5, allowed=parse_allowed(LOOPBACK))
    yield d
    await d.aclose()


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
    assert pending["attempts"] == 1 and pending["last_error"] == CONNECT_ERROR
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


# --- Destinations, deadlines, answers, signatures --------------------------------------

class RawReceiver:
    """A real HTTP server in a thread whose answer is ``respond(receiver, socket)``: slow,
    huge, rude. Records each request's head and body and how many bytes of answer it wrote."""

    def __init__(self, respond: Callable[[RawReceiver, socket.socket], None]) -> None:
        self.respond = respond
        self.requests: list[tuple[bytes, bytes]] = []
        self.written = 0
        owner = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                sock: socket.socket = self.request
                data = b""
                while b"\r\n\r\n" not in data:
                    if not (chunk := sock.recv(65536)):
                        return
                    data += chunk
                head, _, body = data.partition(b"\r\n\r\n")
                length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                while len(body) < length and (chunk := sock.recv(65536)):
                    body += chunk
                owner.requests.append((head, body))
                with contextlib.suppress(OSError):  # the dispatcher hung up: what these receivers are for
                    owner.respond(owner, sock)

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]

    def __enter__(self) -> RawReceiver:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def send(self, sock: socket.socket, data: bytes) -> None:
        sock.sendall(data)
        self.written += len(data)


def answer_204(r: RawReceiver, sock: socket.socket) -> None:
    r.send(sock, b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")


async def subscribe_and_emit(db, *urls: str, secret: str | None = SECRET) -> SqlOutbox:
    outbox = SqlOutbox(db)
    for url in urls:
        await outbox.add_webhook(url, secret, None)
    async with db.engine.begin() as conn:
        await emit(conn, EventType.VIDEO_MISSING, {"video_id": "v"}, utcnow())
    return outbox


async def dispatch(outbox: SqlOutbox, secret: str | None = None, **options) -> int:
    options.setdefault("deadline_s", 5)
    d = Dispatcher(outbox, secret, **options)
    try:
        return await d.run_once()
    finally:
        await d.aclose()


def errors_by_url(rows: list[dict]) -> dict[str, str | None]:
    return {r["url"]: r["last_error"] for r in rows}


def resolving(names: dict[str, list[str]]):
    """A DNS server with a few names of its own, and the system resolver for the rest."""

    async def resolve(host: str, port: int) -> list[str]:
        if host.endswith(".test"):
            if host not in names:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            return names[host]
        return await system_resolve(host, port)

    return resolve


async def test_inward_destinations_are_refused_at_send_time(db) -> None:
    with RawReceiver(answer_204) as receiver:
        p = receiver.port
        refused = {
            f"http://127.0.0.1:{p}/": "loopback", f"http://0x7f000001:{p}/": "loopback",
            f"http://2130706433:{p}/": "loopback", f"http://127.1:{p}/": "loopback",
            f"http://[::1]:{p}/": "loopback",
            f"http://[::ffff:127.0.0.1]:{p}/": "loopback", f"http://0.0.0.0:{p}/": "unspecified",
            f"http://localhost:{p}/": "loopback",  # the system resolver's answer is checked
            f"http://inward.test:{p}/": "loopback",  # a public-looking name for loopback
            f"http://mixed.test:{p}/": "loopback",  # one public address does not make the others fine
            "http://169.254.169.254/latest/meta-data/": "metadata", "http://[fd00:ec2::254]/": "metadata",
            "http://10.1.2.3/": "private", "http://192.168.0.1/": "private", "http://172.16.0.1/": "private",
            "http://[fd12::1]/": "private", "http://169.254.1.1/": "link-local", "http://[fe80::1]/": "link-local",
            "http://100.64.0.1/": "cgnat", "http://224.0.0.1/": "multicast", "http://[ff02::1]/": "multicast",
        }
        octal = f"http://0177.0.0.1:{p}/"  # httpx does not take it; the API stores 127.0.0.1 (refused)
        outbox = await subscribe_and_emit(db, *refused, octal)
        names = {"inward.test": ["127.0.0.1"], "mixed.test": ["93.184.215.14", "127.0.0.1"]}
        assert await dispatch(outbox, resolve=resolving(names), batch=100) == len(refused) + 1
        assert receiver.requests == []
        assert errors_by_url(await outbox.deliveries("pending", 100)) == {
            **{url: f"refused destination ({why})" for url, why in refused.items()}, octal: INVALID_URL}


async def test_allowed_ranges_let_a_receiver_through_but_never_metadata(db) -> None:
    with RawReceiver(answer_204) as receiver:
        ok, metadata = f"http://localhost:{receiver.port}/", "http://169.254.169.254/"
        outbox = await subscribe_and_emit(db, ok, metadata)
        await dispatch(outbox, allowed=parse_allowed("127.0.0.0/8, 169.254.0.0/16"))
        assert len(receiver.requests) == 1
        assert errors_by_url(await outbox.deliveries(None, 10)) == {ok: None,
                                                                    metadata: "refused destination (metadata)"}


async def test_the_checked_address_is_the_one_connected_to(db) -> None:
    """DNS rebinding: the name answers loopback (allowed here) once, then something else;
    the request goes to the address that was checked, with the name as Host."""
    with RawReceiver(answer_204) as receiver:
        outbox = await subscribe_and_emit(db, f"http://hooks.test:{receiver.port}/in")
        answers = iter([["127.0.0.1"], ["10.9.9.9"]])
        calls: list[str] = []

        async def rebinding(host: str, port: int) -> list[str]:
            calls.append(host)
            return next(answers)

        await dispatch(outbox, allowed=parse_allowed(LOOPBACK), resolve=rebinding)
        [(head, _body)] = receiver.requests
        assert head.startswith(b"POST /in HTTP/1.1\r\n")
        assert f"host: hooks.test:{receiver.port}\r\n".encode() in head.lower()
        assert calls == ["hooks.test"]  # resolved once, by the check
        [delivered] = await outbox.deliveries("delivered", 10)
        assert delivered["last_status"] == 204


async def test_a_slow_drip_receiver_is_cut_off_by_the_deadline(db) -> None:
    answer = b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 60  # a byte a second: a minute of answer

    def drip(r: RawReceiver, sock: socket.socket) -> None:
        for byte in answer:
            r.send(sock, bytes([byte]))
            time.sleep(1)

    with RawReceiver(drip) as receiver:
        outbox = await subscribe_and_emit(db, f"http://127.0.0.1:{receiver.port}/")
        # Each byte comes sooner than any per-read timeout: only the whole-request deadline ends it.
        d = Dispatcher(outbox, None, deadline_s=3, allowed=parse_allowed(LOOPBACK))
        try:
            assert await d.run_once() == 1
            assert await d.run_once() == 0  # backing off: not claimed again
        finally:
            await d.aclose()
        assert d.lease_s > d.deadline_s
        assert len(receiver.requests) == 1 and receiver.written < len(answer)
        [pending] = await outbox.deliveries("pending", 10)
        assert pending["attempts"] == 1 and pending["last_error"] == TIMEOUT and pending["last_status"] is None


async def test_a_huge_answer_is_not_read(db) -> None:
    size = 300 * 1024 * 1024

    def huge(r: RawReceiver, sock: socket.socket) -> None:
        r.send(sock, f"HTTP/1.1 200 OK\r\nContent-Length: {size}\r\n\r\n".encode())
        chunk = b"x" * 65536
        while r.written < size:
            r.send(sock, chunk)

    with RawReceiver(huge) as receiver:
        outbox = await subscribe_and_emit(db, f"http://127.0.0.1:{receiver.port}/")
        await dispatch(outbox, deadline_s=60, allowed=parse_allowed(LOOPBACK))
        [delivered] = await outbox.deliveries("delivered", 10)
        assert delivered["last_status"] == 200
        # What the receiver got out before the dispatcher hung up: socket buffers, not the body.
        assert receiver.written < 32 * 1024 * 1024


async def test_only_the_status_is_kept_and_failures_read_the_same(db) -> None:
    def error_page(r: RawReceiver, sock: socket.socket) -> None:
        page = b"redis_version:7.2 internal stack trace, password=hunter2"
        r.send(sock, b"HTTP/1.1 500 Oops\r\nContent-Length: %d\r\n\r\n%s" % (len(page), page))

    def not_http(r: RawReceiver, sock: socket.socket) -> None:
        r.send(sock, b"-ERR unknown command 'POST'\r\n")

    with RawReceiver(error_page) as failing, RawReceiver(not_http) as rude, RawReceiver(answer_204) as inner:
        def redirect(r: RawReceiver, sock: socket.socket) -> None:
            r.send(sock, f"HTTP/1.1 307 Temporary Redirect\r\nLocation: http://127.0.0.1:{inner.port}/\r\n"
                         "Content-Length: 0\r\n\r\n".encode())

        with RawReceiver(redirect) as redirecting:
            urls = [f"http://127.0.0.1:{failing.port}/", f"http://127.0.0.1:{rude.port}/",
                    f"http://127.0.0.1:{free_port()}/", "http://nowhere.test/", f"http://127.0.0.1:{redirecting.port}/"]
            outbox = await subscribe_and_emit(db, *urls)
            await dispatch(outbox, allowed=parse_allowed(LOOPBACK), resolve=resolving({}))
        assert inner.requests == []  # redirects are not followed
        rows = await outbox.deliveries("pending", 10)
        assert errors_by_url(rows) == {urls[0]: "HTTP 500", urls[1]: CONNECT_ERROR, urls[2]: CONNECT_ERROR,
                                       urls[3]: CONNECT_ERROR, urls[4]: "HTTP 307"}
        assert {r["url"]: r["last_status"] for r in rows}[urls[0]] == 500


async def test_nothing_goes_out_unsigned(db) -> None:
    with RawReceiver(answer_204) as receiver:
        outbox = await subscribe_and_emit(db, f"http://127.0.0.1:{receiver.port}/", secret=None)
        assert len(await outbox.unsigned_webhooks()) == 1
        await dispatch(outbox, None, allowed=parse_allowed(LOOPBACK))
        assert receiver.requests == []
        [held] = await outbox.deliveries("pending", 10)
        assert held["last_error"] == UNSIGNED
        # The worker gets its WEBHOOK_SECRET: the held delivery goes out, signed.
        await make_due(db)
        await dispatch(outbox, SECRET, allowed=parse_allowed(LOOPBACK))
        [(head, body)] = receiver.requests
        signature = next(line.split(b":", 1)[1].strip().decode() for line in head.split(b"\r\n")
                         if line.lower().startswith(SIGNATURE_HEADER.lower().encode() + b":"))
        assert verify(SECRET, signature, body, int(time.time()))


async def test_subscriptions_to_inward_addresses_are_refused(api) -> None:
    for url in ("http://169.254.169.254/latest", "http://10.0.0.1/x", "http://0x0a000001/x", "http://[fd00:ec2::254]/",
                "http://[::ffff:10.0.0.1]/", "http://0.0.0.0/", "http://192.168.1.1:6379/"):
        resp = await api.post("/webhooks", json={"url": url, "secret": SECRET})
        assert resp.status_code == 422 and "refused destination" in resp.text, url
    # 127.0.0.0/8 is allowed in this deployment (WEBHOOK_ALLOW_PRIVATE), names resolving there too.
    assert (await api.post("/webhooks", json={"url": "http://127.0.0.1:9/x", "secret": SECRET})).status_code == 201
    assert (await api.post("/webhooks", json={"url": "http://localhost:9/x", "secret": SECRET})).status_code == 201


async def test_names_resolving_inward_are_refused_at_subscription(db, redis, migrated_url, valkey, library) -> None:
    settings = settings_for(migrated_url, valkey.url, library, WEBHOOK_SECRET=SECRET)
    async for client in _client(settings):
        for url in ("http://localhost:8001/", "http://127.0.0.1:8001/", "http://0177.0.0.1/", "http://2130706433/"):
            resp = await client.post("/webhooks", json={"url": url})
            assert resp.status_code == 422 and "refused destination (loopback)" in resp.text, url
        # The API has a WEBHOOK_SECRET (the workers' too): a subscription without its own is signed with it.
        made = await client.post("/webhooks", json={"url": "http://receiver.invalid/x"})
        assert made.status_code == 201, made.text


async def test_a_subscription_that_would_go_out_unsigned_is_refused(api) -> None:
    resp = await api.post("/webhooks", json={"url": "http://receiver.invalid/x"})
    assert resp.status_code == 422 and "WEBHOOK_SECRET" in resp.text
