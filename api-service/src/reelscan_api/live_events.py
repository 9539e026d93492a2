"""Server-sent events for ``GET /events``: task and video changes, read from PostgreSQL.

Where changes come from: every ``tasks`` and ``videos`` row carries ``changed_xid``, the
transaction that last inserted or updated it (a trigger, migration 0011), whoever wrote
it: an API replica, a worker, a migration. Each stream asks the database every
EVENTS_POLL_SECONDS for the rows changed past its cursor, so any number of API replicas
and workers in other processes need nothing else (no pub/sub to publish to).

The cursor is ``(xid, kind, id)``: rows are read in that order, and only those whose
transaction is under the *horizon*, the oldest transaction still running
(``pg_snapshot_xmin``). Every transaction below it has ended, so no row can still appear
behind the cursor later (a sequence number could: numbers are taken in one order and
committed in another). Each event's SSE ``id`` is its cursor; a client reconnecting with
``Last-Event-ID`` resumes right after it. Several changes to a row in between arrive as
one event with its latest state, so a burst of progress updates costs one event each poll.

Bounds: one batch (EVENTS_BATCH rows) in memory per stream. A slow client holds its
stream at ``send`` (uvicorn waits for the socket to drain) and nothing is read for it
meanwhile; it catches up from the database afterwards. Streams end when the client goes
(the request is cancelled, see bounds.py) and when the server is asked to stop (SIGTERM
or SIGINT, see ``ShutdownSignal``), so uvicorn's graceful shutdown does not wait on them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from types import FrameType
from typing import Any

from sqlalchemy import Column, Table, literal, select, text, tuple_
from sqlalchemy.sql.elements import ColumnElement

from reelscan_api.schemas import ProgressOut
from reelscan_shared.adapters.db.engine import Database
from reelscan_shared.adapters.db.tables import tasks, videos
from reelscan_shared.domain.tasks import Progress
from reelscan_shared.logging import get_logger

log = get_logger(__name__)

EVENTS_BATCH = 200
RETRY_MS = 3000  # what EventSource waits before reconnecting (the SSE ``retry`` field)
VIDEO, TASK = 0, 1  # the kinds, in the order a transaction's rows are sent (its videos first)
_HORIZON = text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")


@dataclass(frozen=True, order=True)
class Cursor:
    """Where a stream is: past every row ordered before ``(xid, kind, id)``. ``kind`` -1
    with id "": past every row of every transaction under ``xid``."""

    xid: int
    kind: int = -1
    id: str = ""

    def encode(self) -> str:
        return f"{self.xid}.{self.kind}.{self.id}"

    @classmethod
    def decode(cls, value: str) -> Cursor | None:
        xid, _, rest = value.strip().partition(".")
        kind, _, row_id = rest.partition(".")
        try:
            cursor = cls(int(xid), int(kind), row_id)
        except ValueError:
            return None
        if cursor.xid < 0 or cursor.kind not in (-1, VIDEO, TASK):
            return None
        if cursor.kind == -1:
            return cursor if not row_id else None
        try:
            return cls(cursor.xid, cursor.kind, str(uuid.UUID(row_id)))
        except ValueError:
            return None


@dataclass(frozen=True)
class Change:
    cursor: Cursor
    event: str  # the SSE event name: "video" or "task"
    data: dict[str, Any]

    def sse(self) -> str:
        return f"id: {self.cursor.encode()}\nevent: {self.event}\ndata: {json.dumps(self.data)}\n\n"


def _past(cursor: Cursor, kind: int, xid: Column[Any], row_id: Column[Any]) -> ColumnElement[bool]:
    """SQL: the row (of ``kind``) is ordered after the cursor."""
    if cursor.kind > kind:
        return xid > cursor.xid
    if cursor.kind < kind:
        return xid >= cursor.xid
    return tuple_(xid, row_id) > tuple_(literal(cursor.xid, xid.type), literal(cursor.id, row_id.type))


def _video(row: Any) -> dict[str, Any]:
    return {"video_id": row.video_id, "status": row.status}


def _task(row: Any) -> dict[str, Any]:
    progress = ProgressOut.of(Progress(done_ms=row.done_ms, total_ms=row.total_ms, spent_ms=row.spent_ms))
    return {"task_id": row.task_id, "video_id": row.video_id, "task_type": row.task_type, "status": row.status,
            "progress": progress.model_dump(), "error": row.error}


_SOURCES: tuple[tuple[int, str, Table, str, list[Column[Any]], Callable[[Any], dict[str, Any]]], ...] = (
    (VIDEO, "video", videos, "video_id", [videos.c.video_id, videos.c.status], _video),
    (TASK, "task", tasks, "task_id",
     [tasks.c.task_id, tasks.c.video_id, tasks.c.task_type, tasks.c.status, tasks.c.done_ms, tasks.c.total_ms,
      tasks.c.spent_ms, tasks.c.error], _task),
)


class Changes:
    """The task and video rows changed past a cursor (see the module's docstring)."""

    def __init__(self, db: Database, batch: int = EVENTS_BATCH) -> None:
        self._db = db
        self.batch = batch

    async def horizon(self) -> int:
        async with self._db.reads.connect() as conn:
            return int((await conn.execute(_HORIZON)).scalar_one())

    async def since(self, cursor: Cursor) -> tuple[list[Change], Cursor]:
        """The next changes after ``cursor`` (at most ``batch``), and the cursor after them."""
        # The horizon first, then rows under it: each statement sees every transaction under it.
        async with self._db.reads.connect() as conn:
            horizon = int((await conn.execute(_HORIZON)).scalar_one())
            if horizon <= cursor.xid:
                return [], cursor
            found: list[Change] = []
            full = False
            for kind, event, table, key, columns, shape in _SOURCES:
                xid, row_id = table.c.changed_xid, table.c[key]
                rows = (await conn.execute(
                    select(xid, *columns).where(_past(cursor, kind, xid, row_id), xid < horizon)
                    .order_by(xid, row_id).limit(self.batch))).all()
                full = full or len(rows) == self.batch
                found += [Change(Cursor(r.changed_xid, kind, str(getattr(r, key))), event, shape(r)) for r in rows]
        found.sort(key=lambda c: c.cursor)
        if full:  # more to read: the first batch of the merged rows is complete up to its last
            found = found[:self.batch]
            return found, found[-1].cursor
        return found, Cursor(horizon)  # every transaction under the horizon is read


class ShutdownSignal:
    """Set when the process is asked to stop (SIGTERM, SIGINT): streams end at once, so
    uvicorn's graceful shutdown (which waits for open responses) is not held up by them.
    Chains to the handler installed before (uvicorn's), or does what the signal did
    before (the default: end the process)."""

    def __init__(self) -> None:
        self.event = asyncio.Event()
        self._previous: dict[int, Any] = {}

    def install(self) -> None:
        loop = asyncio.get_running_loop()

        def handler(sig: int, frame: FrameType | None) -> None:
            loop.call_soon_threadsafe(self.event.set)
            previous = self._previous.get(sig)
            if callable(previous):  # uvicorn's handle_exit, or Python's KeyboardInterrupt for SIGINT
                previous(sig, frame)
            elif previous in (signal.SIG_DFL, None):  # what the signal did before: e.g. SIGTERM ends the process
                signal.signal(sig, signal.SIG_DFL)
                signal.raise_signal(sig)

        for sig in (signal.SIGINT, signal.SIGTERM):
            previous = signal.getsignal(sig)
            try:
                signal.signal(sig, handler)
            except ValueError:  # not the main thread (e.g. an in-process test client): nothing to chain
                return
            self._previous[sig] = previous

    def uninstall(self) -> None:
        for sig, previous in self._previous.items():
            with contextlib.suppress(ValueError, TypeError):
                signal.signal(sig, previous)
        self._previous.clear()


async def stream(changes: Changes, cursor: Cursor | None, stopping: asyncio.Event, poll_s: float,
                 keepalive_s: float) -> AsyncIterator[str]:
    """The SSE text of one stream: from ``cursor`` (None: from now on) until ``stopping``."""
    if cursor is None:
        cursor = Cursor(await changes.horizon())
    yield f"retry: {RETRY_MS}\n\n"
    quiet_since = time.monotonic()
    failing = False
    while not stopping.is_set():
        try:
            batch, cursor = await changes.since(cursor)
            failing = False
        except Exception as exc:  # noqa: BLE001 - the database is away: say nothing, ask again
            if not failing:  # once per outage, not once per poll
                log.warning("events_poll_failed", error=str(exc)[:300])
            failing, batch = True, []
        for change in batch:
            yield change.sse()
        if batch:
            quiet_since = time.monotonic()
            if len(batch) == changes.batch:
                continue  # more are waiting
        elif time.monotonic() - quiet_since >= keepalive_s:
            yield ": keep-alive\n\n"
            quiet_since = time.monotonic()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), poll_s)
