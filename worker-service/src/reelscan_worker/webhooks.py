"""Webhook delivery: the workers work through the event outbox (adapters/db/outbox.py).

Every worker process runs one dispatcher beside its arq jobs; deliveries are claimed
with SKIP LOCKED, so they share the work without sending an event twice at once. A
receiver that is slow or down costs the dispatcher its own timeout, never a job: the
pipeline only ever writes outbox rows. Failed attempts are retried with exponential
backoff (10 s, 20 s, ... at most an hour apart) until WEBHOOK_GIVE_UP_HOURS after the
event, then the delivery is marked failed (GET /webhooks/deliveries shows it).
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta

import httpx

from reelscan_shared.adapters.db.outbox import Claimed, SqlOutbox
from reelscan_shared.domain.clock import utcnow
from reelscan_shared.domain.events import EVENT_ID_HEADER, EVENT_TYPE_HEADER, SIGNATURE_HEADER, sign
from reelscan_shared.logging import get_logger

log = get_logger(__name__)
FIRST_RETRY_S = 10.0
MAX_RETRY_S = 3600.0


def retry_delay_s(attempts: int) -> float:
    return float(min(FIRST_RETRY_S * 2.0 ** max(attempts - 1, 0), MAX_RETRY_S))


class Dispatcher:
    def __init__(self, outbox: SqlOutbox, http: httpx.AsyncClient, secret: str | None, *, batch: int = 20,
                 give_up_after: timedelta = timedelta(hours=24)) -> None:
        self.outbox = outbox
        self.http = http
        self.secret = secret  # WEBHOOK_SECRET: for subscriptions without their own
        self.batch = batch
        self.give_up_after = give_up_after
        # A claim outlives any attempt (the request timeout), so no delivery is sent by
        # two dispatchers at once unless one of them died holding it.
        timeout = http.timeout.read or 10.0
        self.lease_s = 2 * timeout + 5

    async def run_once(self) -> int:
        """Claim and send one batch; how many were attempted."""
        claimed = await self.outbox.claim(self.batch, self.lease_s)
        await asyncio.gather(*(self._deliver(d) for d in claimed))
        return len(claimed)

    async def run_forever(self, idle_s: float) -> None:
        while True:
            try:
                if await self.run_once():
                    continue
            except Exception:
                log.exception("webhook_dispatch_failed")
            await asyncio.sleep(idle_s)

    async def _deliver(self, d: Claimed) -> None:
        body = json.dumps(d.body, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", EVENT_ID_HEADER: d.event_id, EVENT_TYPE_HEADER: d.event_type}
        secret = d.secret or self.secret
        if secret:
            headers[SIGNATURE_HEADER] = sign(secret, int(time.time()), body)
        status: int | None = None
        try:
            resp = await self.http.post(d.url, content=body, headers=headers)
            status = resp.status_code
            error = None if resp.is_success else f"HTTP {resp.status_code}: {resp.text[:200]}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:300]
        retry_at = None
        if error is not None and utcnow() - d.created_at < self.give_up_after:
            retry_at = utcnow() + timedelta(seconds=retry_delay_s(d.attempts))
        await self.outbox.record(d, status, error, retry_at)
        log.info("webhook_delivered" if error is None else "webhook_failed", event_id=d.event_id,
                 event_type=d.event_type, url=d.url, attempt=d.attempts, status=status, error=error,
                 gave_up=error is not None and retry_at is None)
