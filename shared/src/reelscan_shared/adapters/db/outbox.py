"""The event outbox and webhook subscriptions in PostgreSQL (domain/events.py).

``emit`` runs inside the caller's transaction: the event and one delivery row per
subscribed webhook commit with the change they report, or not at all. Without a
subscriber nothing is written. The dispatcher (worker-service/webhooks.py) claims
due deliveries with SKIP LOCKED, so any number of workers share them; a claim is a
lease (``next_attempt_at`` moved ahead), so a worker killed mid-delivery leaves the
delivery due again once the lease lapses: at least once, never lost.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from reelscan_shared.adapters.db.engine import Database
from reelscan_shared.adapters.db.tables import events, webhook_deliveries, webhooks
from reelscan_shared.domain.clock import utcnow
from reelscan_shared.domain.errors import AlreadyExists
from reelscan_shared.domain.events import EventType

# Whether a webhook wants events of the type bound to the parameter.
_WANTS = "event_types IS NULL OR CAST(:{} AS text) = ANY(event_types)"

_EMIT = text(f"""
WITH subscribers AS (
    SELECT webhook_id FROM webhooks WHERE {_WANTS.format("event_type")}
), event AS (
    INSERT INTO events (event_id, event_type, payload, created_at)
    SELECT CAST(:event_id AS uuid), :event_type, CAST(:payload AS jsonb), :now
    WHERE EXISTS (SELECT 1 FROM subscribers)
    RETURNING event_id
)
INSERT INTO webhook_deliveries (event_id, webhook_id, status, attempts, next_attempt_at, created_at)
SELECT event.event_id, subscribers.webhook_id, 'pending', 0, :now, :now FROM event, subscribers
""")

# What a finished task's transaction asks first (repositories.py): the video's path,
# and whether any webhook wants the task's event, and video.completed.
WANTED = text(f"""
SELECT (SELECT path FROM videos WHERE video_id = CAST(:video_id AS uuid)),
       EXISTS (SELECT 1 FROM webhooks WHERE {_WANTS.format("task_event")}),
       EXISTS (SELECT 1 FROM webhooks WHERE {_WANTS.format("video_event")})
""")


async def emit(conn: AsyncConnection, event_type: EventType, data: dict[str, Any], now: datetime) -> None:
    """Write the event for delivery, in the caller's transaction."""
    event_id = str(uuid.uuid4())
    body = {"event_id": event_id, "type": event_type.value, "created_at": now.isoformat(), "data": data}
    await conn.execute(_EMIT, {"event_id": event_id, "event_type": event_type.value,
                               "payload": json.dumps(body), "now": now})


@dataclass(frozen=True)
class Claimed:
    """A delivery a dispatcher has claimed: what to send where."""

    event_id: str
    webhook_id: str
    url: str
    secret: str | None
    event_type: str
    body: dict[str, Any]
    attempts: int  # this one included
    created_at: datetime


@dataclass(frozen=True)
class Webhook:
    webhook_id: str
    url: str
    event_types: list[str] | None
    source: str
    created_at: datetime


class SqlOutbox:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def claim(self, limit: int, lease_s: float) -> list[Claimed]:
        """Up to ``limit`` due deliveries, leased for ``lease_s`` (their next attempt)."""
        async with self._db.engine.begin() as conn:
            now = utcnow()
            due = (select(webhook_deliveries.c.event_id, webhook_deliveries.c.webhook_id)
                   .where(webhook_deliveries.c.status == "pending", webhook_deliveries.c.next_attempt_at <= now)
                   .order_by(webhook_deliveries.c.next_attempt_at).limit(limit)
                   .with_for_update(skip_locked=True).cte("due"))
            claimed = (await conn.execute(
                update(webhook_deliveries)
                .where(webhook_deliveries.c.event_id == due.c.event_id,
                       webhook_deliveries.c.webhook_id == due.c.webhook_id)
                .values(attempts=webhook_deliveries.c.attempts + 1,
                        next_attempt_at=now + timedelta(seconds=lease_s))
                .returning(webhook_deliveries.c.event_id, webhook_deliveries.c.webhook_id,
                           webhook_deliveries.c.attempts)
            )).all()
            if not claimed:
                return []
            rows = {(r.event_id, r.webhook_id): r for r in (await conn.execute(
                select(events.c.event_id, events.c.event_type, events.c.payload, events.c.created_at,
                       webhooks.c.webhook_id, webhooks.c.url, webhooks.c.secret)
                .select_from(events.join(webhook_deliveries, webhook_deliveries.c.event_id == events.c.event_id)
                             .join(webhooks, webhooks.c.webhook_id == webhook_deliveries.c.webhook_id))
                .where(events.c.event_id.in_({c.event_id for c in claimed}))
            )).all()}
        return [Claimed(event_id=c.event_id, webhook_id=c.webhook_id, url=r.url, secret=r.secret,
                        event_type=r.event_type, body=r.payload, attempts=c.attempts, created_at=r.created_at)
                for c in claimed if (r := rows.get((c.event_id, c.webhook_id))) is not None]

    async def record(self, d: Claimed, status: int | None, error: str | None,
                     retry_at: datetime | None) -> None:
        """The attempt's outcome: delivered (no error), due again at ``retry_at``, or
        given up (``retry_at`` None with an error)."""
        values: dict[str, Any] = {"last_status": status, "last_error": error}
        if error is None:
            values.update(status="delivered", delivered_at=utcnow())
        elif retry_at is None:
            values.update(status="failed")
        else:
            values.update(next_attempt_at=retry_at)
        async with self._db.engine.begin() as conn:
            await conn.execute(update(webhook_deliveries).where(
                webhook_deliveries.c.event_id == d.event_id, webhook_deliveries.c.webhook_id == d.webhook_id,
                webhook_deliveries.c.status == "pending").values(**values))

    async def deliveries(self, status: str | None, limit: int) -> list[dict[str, Any]]:
        stmt = (select(webhook_deliveries, events.c.event_type, webhooks.c.url)
                .select_from(webhook_deliveries.join(events).join(webhooks))
                .order_by(webhook_deliveries.c.created_at.desc(), webhook_deliveries.c.event_id).limit(limit))
        if status is not None:
            stmt = stmt.where(webhook_deliveries.c.status == status)
        async with self._db.reads.connect() as conn:
            return [dict(r) for r in (await conn.execute(stmt)).mappings().all()]

    async def add_webhook(self, url: str, secret: str | None, event_types: list[str] | None,
                          source: str = "api") -> Webhook:
        hook = Webhook(webhook_id=str(uuid.uuid4()), url=url, event_types=event_types, source=source,
                       created_at=utcnow())
        async with self._db.engine.begin() as conn:
            added = (await conn.execute(pg_insert(webhooks).values(
                webhook_id=hook.webhook_id, url=url, secret=secret, event_types=event_types, source=source,
                created_at=hook.created_at).on_conflict_do_nothing(index_elements=["source", "url"])
                .returning(webhooks.c.webhook_id))).first()
        if added is None:
            raise AlreadyExists(f"{url} is subscribed already; delete that subscription to change it")
        return hook

    async def list_webhooks(self) -> list[Webhook]:
        stmt = select(webhooks.c.webhook_id, webhooks.c.url, webhooks.c.event_types, webhooks.c.source,
                      webhooks.c.created_at).order_by(webhooks.c.created_at)
        async with self._db.reads.connect() as conn:
            return [Webhook(**r) for r in (await conn.execute(stmt)).mappings().all()]

    async def unsigned_webhooks(self) -> list[str]:
        """The subscriptions with no secret of their own (signed only with WEBHOOK_SECRET)."""
        async with self._db.reads.connect() as conn:
            return [str(i) for i in (await conn.execute(
                select(webhooks.c.webhook_id).where(webhooks.c.secret.is_(None)))).scalars()]

    async def delete_webhook(self, webhook_id: str) -> bool:
        async with self._db.engine.begin() as conn:
            gone = await conn.execute(delete(webhooks).where(webhooks.c.webhook_id == webhook_id,
                                                             webhooks.c.source == "api"))
        return bool(gone.rowcount)

    async def sync_env_webhooks(self, urls: list[str]) -> None:
        """WEBHOOK_URLS as subscriptions (source env, every event, WEBHOOK_SECRET)."""
        now = utcnow()
        async with self._db.engine.begin() as conn:
            await conn.execute(delete(webhooks).where(webhooks.c.source == "env", webhooks.c.url.not_in(urls)))
            for url in urls:
                await conn.execute(pg_insert(webhooks).values(
                    webhook_id=str(uuid.uuid4()), url=url, secret=None, event_types=None, source="env",
                    created_at=now).on_conflict_do_nothing(index_elements=["source", "url"]))
