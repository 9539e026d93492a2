"""Webhook delivery: the workers work through the event outbox (adapters/db/outbox.py).

Every worker process runs one dispatcher beside its arq jobs; deliveries are claimed
with SKIP LOCKED, so they share the work without sending an event twice at once. A
receiver that is slow or down costs the dispatcher its own deadline, never a job: the
pipeline only ever writes outbox rows. Failed attempts are retried with exponential
backoff (10 s, 20 s, ... at most an hour apart) until WEBHOOK_GIVE_UP_HOURS after the
event, then the delivery is marked failed (GET /webhooks/deliveries shows it).

Where a delivery may go (domain/destinations.py): the client's network backend resolves
the destination's name once per connection, refuses it when any of its addresses is
loopback, private, link-local, metadata or otherwise non-global (WEBHOOK_ALLOW_PRIVATE
lets ranges through) and connects to the address it checked, so a name that changes its
answer in between (DNS rebinding) cannot redirect the request; the URL itself is not
rewritten, so Host, TLS server name and certificate checks stay the name's. No proxy
from the environment, no redirects followed.

One deadline (WEBHOOK_TIMEOUT_SECONDS) bounds a whole attempt, resolving to reading the
answer, and a claim's lease is longer, so a slow receiver cannot get an event sent twice.
At most MAX_RESPONSE_BYTES of an answer are read. Only the status code or a fixed word
("timeout", "connect error", "invalid url", "refused destination (...)") is kept as the delivery's
last error, never a body or an exception's text. Nothing goes out unsigned.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import time
from collections.abc import Iterable
from datetime import timedelta
from urllib.parse import urlsplit

import httpcore
import httpx

from reelscan_shared.adapters.db.outbox import Claimed, SqlOutbox
from reelscan_shared.domain.clock import utcnow
from reelscan_shared.domain.destinations import (
    IPNetwork,
    RefusedDestination,
    Resolver,
    checked_address,
    system_resolve,
)
from reelscan_shared.domain.events import EVENT_ID_HEADER, EVENT_TYPE_HEADER, SIGNATURE_HEADER, sign
from reelscan_shared.logging import get_logger

log = get_logger(__name__)
FIRST_RETRY_S = 10.0
MAX_RETRY_S = 3600.0
MAX_RESPONSE_BYTES = 4096  # of an answer's body, read and dropped: only the status counts
LEASE_MARGIN_S = 5.0  # a claim outlives the deadline by at least this (recording the outcome)
TIMEOUT = "timeout"
INVALID_URL = "invalid url"  # one httpx does not take (e.g. 0177.0.0.1): nothing is sent
CONNECT_ERROR = "connect error"  # refused, reset, unresolvable, not HTTP: all read the same
UNSIGNED = "unsigned: no secret"  # the subscription has none and WEBHOOK_SECRET is not set


def retry_delay_s(attempts: int) -> float:
    return float(min(FIRST_RETRY_S * 2.0 ** max(attempts - 1, 0), MAX_RETRY_S))


class CheckedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, but a TCP connection goes only to a checked address
    (no Unix sockets: the base class refuses them)."""

    def __init__(self, allowed: tuple[IPNetwork, ...], resolve: Resolver) -> None:
        self._inner = httpcore.AnyIOBackend()
        self.allowed = allowed
        self.resolve = resolve

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                          socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None
                          ) -> httpcore.AsyncNetworkStream:
        address = await checked_address(host, port, self.allowed, self.resolve)
        return await self._inner.connect_tcp(address, port, timeout=timeout, local_address=local_address,
                                             socket_options=socket_options)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def webhook_client(timeout_s: float, allowed: tuple[IPNetwork, ...] = (),
                   resolve: Resolver = system_resolve) -> httpx.AsyncClient:
    """An HTTP client that reaches only checked addresses: no proxy, no redirects."""
    transport = httpx.AsyncHTTPTransport(trust_env=False)
    # httpx takes no network backend of its own: its pool is replaced by one that has ours.
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(trust_env=False), max_connections=50, max_keepalive_connections=10,
        network_backend=CheckedBackend(allowed, resolve))
    return httpx.AsyncClient(transport=transport, timeout=timeout_s, follow_redirects=False, trust_env=False)


def _error_kind(exc: BaseException) -> str:
    if isinstance(exc, RefusedDestination):
        return str(exc)
    if isinstance(exc, (httpx.InvalidURL, httpx.UnsupportedProtocol)):
        return INVALID_URL
    if isinstance(exc, (TimeoutError, httpx.TimeoutException)):
        return TIMEOUT
    return CONNECT_ERROR


class Dispatcher:
    def __init__(self, outbox: SqlOutbox, secret: str | None, *, deadline_s: float,
                 allowed: tuple[IPNetwork, ...] = (), resolve: Resolver = system_resolve,
                 batch: int = 20, give_up_after: timedelta = timedelta(hours=24)) -> None:
        self.outbox = outbox
        self.secret = secret  # WEBHOOK_SECRET: for subscriptions without their own
        self.deadline_s = deadline_s  # one whole attempt
        # A claim outlives any attempt, so no delivery is sent by two dispatchers at once
        # unless one of them died holding it (the deliveries of a batch go out together).
        self.lease_s = 2 * deadline_s + LEASE_MARGIN_S
        self.http = webhook_client(deadline_s, allowed, resolve)
        self.batch = batch
        self.give_up_after = give_up_after

    async def aclose(self) -> None:
        await self.http.aclose()

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

    async def _post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        async with self.http.stream("POST", url, content=body, headers=headers) as resp:
            read = 0
            async for chunk in resp.aiter_raw():
                read += len(chunk)
                if read >= MAX_RESPONSE_BYTES:
                    break  # leaving the block closes the connection: the rest is never read
            return resp.status_code

    async def _attempt(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str | None]:
        """(status, error) of one attempt, all of it within the deadline."""
        try:
            async with asyncio.timeout(self.deadline_s):
                status = await self._post(url, body, headers)
        except (RefusedDestination, httpx.HTTPError, httpx.InvalidURL, OSError, TimeoutError, UnicodeError,
                ValueError, ssl.SSLError) as exc:
            return None, _error_kind(exc)
        return status, None if 200 <= status < 300 else f"HTTP {status}"

    async def _deliver(self, d: Claimed) -> None:
        body = json.dumps(d.body, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", EVENT_ID_HEADER: d.event_id, EVENT_TYPE_HEADER: d.event_type}
        secret = d.secret or self.secret
        status: int | None = None
        if secret:
            headers[SIGNATURE_HEADER] = sign(secret, int(time.time()), body)
            status, error = await self._attempt(d.url, body, headers)
        else:
            error = UNSIGNED  # held: it goes out once the worker has WEBHOOK_SECRET
        retry_at = None
        if error is not None and utcnow() - d.created_at < self.give_up_after:
            retry_at = utcnow() + timedelta(seconds=retry_delay_s(d.attempts))
        await self.outbox.record(d, status, error, retry_at)
        log.info("webhook_delivered" if error is None else "webhook_failed", event_id=d.event_id,
                 event_type=d.event_type, webhook_id=d.webhook_id, host=urlsplit(d.url).hostname,
                 attempt=d.attempts, status=status, error=error, gave_up=error is not None and retry_at is None)


__all__ = ["CONNECT_ERROR", "INVALID_URL", "TIMEOUT", "UNSIGNED", "CheckedBackend", "Dispatcher", "webhook_client"]
