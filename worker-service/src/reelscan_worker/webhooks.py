"""Webhook delivery: the workers work through the event outbox (adapters/db/outbox.py).

Every worker process runs one dispatcher beside its arq jobs; deliveries are claimed
with SKIP LOCKED, so they share the work without sending an event twice at once. A
receiver that is slow or down costs the dispatcher its own timeout, never a job: the
pipeline only ever writes outbox rows. Failed attempts are retried with exponential
backoff (10 s, 20 s, ... at most an hour apart) until WEBHOOK_GIVE_UP_HOURS after the
event, then the delivery is marked failed (GET /webhooks/deliveries shows it).

Each attempt resolves the destination's name, refuses loopback, private, link-local,
metadata and other non-global addresses (domain/destinations.py; WEBHOOK_ALLOW_PRIVATE
lets ranges through) and connects to the checked address itself, the name kept as
Host and TLS server name, so a name that changes its answer in between (DNS rebinding)
cannot redirect the request. One deadline bounds the whole attempt, and it is shorter
than the claim's lease, so a slow receiver cannot get an event sent twice; at most
MAX_RESPONSE_BYTES of an answer are read; only the status code is kept, and every
failure to connect, whatever its cause, reads the same ("connect failed"), so the
deliveries list cannot be used to scan ports. Nothing goes out unsigned.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from urllib.parse import urlsplit

import httpx

from reelscan_shared.adapters.db.outbox import Claimed, SqlOutbox
from reelscan_shared.domain.clock import utcnow
from reelscan_shared.domain.destinations import IPNetwork, literal_address, refusal
from reelscan_shared.domain.events import EVENT_ID_HEADER, EVENT_TYPE_HEADER, SIGNATURE_HEADER, sign
from reelscan_shared.logging import get_logger
from reelscan_worker.settings import LEASE_MARGIN_S

log = get_logger(__name__)
FIRST_RETRY_S = 10.0
MAX_RETRY_S = 3600.0
MAX_RESPONSE_BYTES = 4096  # of an answer's body, read and dropped: only the status counts
CONNECT_FAILED = "connect failed"  # refused, reset, timed out, unresolvable: all the same
UNSIGNED = "not sent: no signing secret (the subscription has none and WEBHOOK_SECRET is not set)"

# (host, port) -> the addresses the name resolves to.
Resolver = Callable[[str, int], Awaitable[list[str]]]


async def system_resolve(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class AddressRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(f"address refused: {reason}")


def retry_delay_s(attempts: int) -> float:
    return float(min(FIRST_RETRY_S * 2.0 ** max(attempts - 1, 0), MAX_RETRY_S))


class Dispatcher:
    def __init__(self, outbox: SqlOutbox, http: httpx.AsyncClient, secret: str | None, *, deadline_s: float,
                 lease_s: float, allowed: tuple[IPNetwork, ...] = (), resolve: Resolver = system_resolve,
                 batch: int = 20, give_up_after: timedelta = timedelta(hours=24)) -> None:
        if deadline_s + LEASE_MARGIN_S > lease_s:
            raise ValueError(f"a webhook deadline of {deadline_s:g} s needs a claim lease of at least "
                             f"{deadline_s + LEASE_MARGIN_S:g} s, not {lease_s:g} s")
        self.outbox = outbox
        self.http = http
        self.secret = secret  # WEBHOOK_SECRET: for subscriptions without their own
        self.deadline_s = deadline_s  # one whole attempt
        self.lease_s = lease_s  # a claim: nobody else sends the delivery meanwhile
        self.allowed = allowed  # WEBHOOK_ALLOW_PRIVATE
        self.resolve = resolve
        self.batch = batch
        self.give_up_after = give_up_after

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

    async def _address(self, host: str, port: int) -> str:
        """The checked address to connect to: every address the name has must be allowed."""
        literal = literal_address(host)
        addresses = [str(literal)] if literal is not None else await self.resolve(host, port)
        if not addresses:
            raise OSError(f"{host} has no address")
        for address in addresses:
            if (reason := refusal(address, self.allowed)) is not None:
                raise AddressRefused(reason)
        return addresses[0]

    async def _post(self, url: httpx.URL, body: bytes, headers: dict[str, str]) -> int:
        port = url.port or (443 if url.scheme == "https" else 80)
        address = await self._address(url.host, port)
        extensions = {"sni_hostname": url.host} if url.scheme == "https" else {}
        headers = {**headers, "Host": url.netloc.decode("ascii")}
        async with self.http.stream("POST", url.copy_with(host=address), content=body, headers=headers,
                                    extensions=extensions) as resp:
            read = 0
            async for chunk in resp.aiter_raw():
                read += len(chunk)
                if read >= MAX_RESPONSE_BYTES:
                    break
            return resp.status_code

    async def _attempt(self, d: Claimed, body: bytes, headers: dict[str, str]) -> tuple[int | None, str | None]:
        """(status, error) of one attempt, within the deadline."""
        try:
            async with asyncio.timeout(self.deadline_s):
                status = await self._post(httpx.URL(d.url), body, headers)
        except AddressRefused as exc:
            return None, str(exc)
        except (httpx.HTTPError, httpx.InvalidURL, OSError, TimeoutError, UnicodeError, ValueError):
            return None, CONNECT_FAILED
        return status, None if 200 <= status < 300 else f"HTTP {status}"

    async def _deliver(self, d: Claimed) -> None:
        body = json.dumps(d.body, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", EVENT_ID_HEADER: d.event_id, EVENT_TYPE_HEADER: d.event_type}
        secret = d.secret or self.secret
        status: int | None = None
        if secret:
            headers[SIGNATURE_HEADER] = sign(secret, int(time.time()), body)
            status, error = await self._attempt(d, body, headers)
        else:
            error = UNSIGNED
        retry_at = None
        if error is not None and utcnow() - d.created_at < self.give_up_after:
            retry_at = utcnow() + timedelta(seconds=retry_delay_s(d.attempts))
        await self.outbox.record(d, status, error, retry_at)
        log.info("webhook_delivered" if error is None else "webhook_failed", event_id=d.event_id,
                 event_type=d.event_type, webhook_id=d.webhook_id, host=urlsplit(d.url).hostname,
                 attempt=d.attempts, status=status, error=error, gave_up=error is not None and retry_at is None)
