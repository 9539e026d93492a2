"""Bounds on what one request can cost the API: its body's size, and its work once the
client has gone. Pure ASGI middlewares (no BaseHTTPMiddleware), so streamed responses
(media, server-sent events) pass through untouched. See docs/security.md.

- ``BodyLimitMiddleware``: a body over ``API_MAX_BODY_BYTES`` answers 413, by its
  ``Content-Length`` before anything is read, or, chunked, as soon as the bytes
  received pass the limit (the rest is never buffered).
- ``CancelOnDisconnectMiddleware``: once a request's body is read, the connection is
  watched; when the client goes away before the response is complete, the request's
  task is cancelled, and with it its database query (asyncpg sends PostgreSQL a
  cancel request) or frame decode (its ffmpeg is killed).
"""

from __future__ import annotations

import asyncio
import contextlib
import json

from reelscan_shared.logging import get_logger
from reelscan_shared.request_context import ASGIApp, Message, Receive, Scope, Send

log = get_logger(__name__)


class BodyTooLarge(Exception):
    """Raised into the app from ``receive`` when the body passes the limit."""


async def _send_413(send: Send, limit: int) -> None:
    body = json.dumps({"detail": f"request body is larger than {limit} bytes (API_MAX_BODY_BYTES)"}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _has_body(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"transfer-encoding" or (name == b"content-length" and value.strip() not in (b"0", b"")):
            return True
    return False


class _LimitedBody:
    """One request's receive and send, counting the body's bytes."""

    def __init__(self, receive: Receive, send: Send, max_bytes: int) -> None:
        self._receive, self._send, self.max_bytes = receive, send, max_bytes
        self.received = 0
        self.exceeded = False
        self.refused = False

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.max_bytes:
                self.exceeded = True
                raise BodyTooLarge
        return message

    async def send(self, message: Message) -> None:
        if not self.exceeded:
            await self._send(message)
        else:  # the app answered its own error about the broken body: ours instead
            await self.refuse()

    async def refuse(self) -> None:
        if not self.refused:
            self.refused = True
            await _send_413(self._send, self.max_bytes)


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > self.max_bytes:
            await _send_413(send, self.max_bytes)
            return
        body = _LimitedBody(receive, send, self.max_bytes)
        with contextlib.suppress(BodyTooLarge):
            await self.app(scope, body.receive, body.send)
        if body.exceeded:
            await body.refuse()


class _Watched:
    """One request's receive and send while its connection is watched for the client leaving."""

    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self._receive, self._send = receive, send
        self._bodiless = not _has_body(scope)
        self.body_read = asyncio.Event()
        if self._bodiless:  # nothing to wait for: the watcher starts at once
            self.body_read.set()
        self.gone = asyncio.Event()
        self.answered = False

    async def receive(self) -> Message:
        if self.body_read.is_set():  # the watcher owns the connection now
            if self._bodiless:
                self._bodiless = False
                return {"type": "http.request", "body": b"", "more_body": False}
            await self.gone.wait()
            return {"type": "http.disconnect"}
        message = await self._receive()
        if message["type"] == "http.disconnect":
            self.gone.set()
        elif not message.get("more_body", False):
            self.body_read.set()
        return message

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            self.answered = True
        await self._send(message)

    async def watch(self, handler: asyncio.Task[None], path: str) -> None:
        await self.body_read.wait()
        while (await self._receive())["type"] != "http.disconnect":
            pass
        self.gone.set()
        if not self.answered and not handler.done():
            log.info("request_cancelled", reason="client disconnected", path=path)
            handler.cancel()


async def _run(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    await app(scope, receive, send)


class CancelOnDisconnectMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        io = _Watched(scope, receive, send)
        handler = asyncio.create_task(_run(self.app, scope, io.receive, io.send))
        watcher = asyncio.create_task(io.watch(handler, str(scope.get("path"))))
        try:
            await asyncio.wait({handler})
        finally:
            watcher.cancel()
            if not handler.done():  # we were cancelled ourselves (shutdown)
                handler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        if not handler.cancelled():
            handler.result()  # re-raise what the app raised
