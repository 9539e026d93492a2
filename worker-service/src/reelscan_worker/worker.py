"""The arq Worker, configured from WorkerSettings."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import timedelta
from typing import Any

from arq import Worker
from arq.worker import func
from prometheus_client import start_http_server

from reelscan_shared.adapters.db.outbox import SqlOutbox
from reelscan_shared.adapters.queue import JOB_FUNCTION, PAUSED_KEY, redis_settings, worker_key
from reelscan_shared.logging import configure_logging, get_logger
from reelscan_shared.settings import masked
from reelscan_worker import bootstrap
from reelscan_worker.gpu_mode import queue_for
from reelscan_worker.handler import run_task
from reelscan_worker.lease import WORKER_ID
from reelscan_worker.reconciler import Reconciler
from reelscan_worker.settings import JOB_CEILING_S, WorkerSettings
from reelscan_worker.webhooks import Dispatcher

log = get_logger(__name__)


async def _reconcile_forever(reconciler: Reconciler, interval_s: float, running_only: bool = False) -> None:
    """Once at start-up, then every ``interval_s`` seconds (one worker at a time)."""
    while True:
        try:
            await reconciler.run_exclusive(running_only)
        except Exception:  # Valkey or PostgreSQL down: the next round tries again
            log.exception("reconcile_failed")
        await asyncio.sleep(interval_s)


class PausableWorker(Worker):
    """arq's Worker that takes no new job while its queue is paused (POST /queues/{name}/pause).

    Jobs already running finish; jobs waiting stay queued, in their order. The flag is
    read only when there are jobs to take, at most every PAUSE_CHECK_S.
    """

    PAUSE_CHECK_S = 0.5

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._paused = False
        self._paused_checked = -1e9

    async def start_jobs(self, job_ids: list[bytes]) -> None:
        if job_ids and time.monotonic() - self._paused_checked >= self.PAUSE_CHECK_S:
            self._paused = bool(await self.pool.exists(PAUSED_KEY + self.queue_name))
            self._paused_checked = time.monotonic()
        if job_ids and self._paused:
            return
        await super().start_jobs(job_ids)


async def _announce_forever(redis: Any, queue_name: str, interval_s: float) -> None:
    """This worker's presence key, for GET /queues' worker count (expires if it dies)."""
    key = worker_key(queue_name, WORKER_ID)
    while True:
        try:
            await redis.set(key, "1", ex=max(3, int(3 * interval_s)))
        except Exception as exc:  # noqa: BLE001 - Valkey down: the key lapses, the count says so
            log.warning("worker_announce_failed", error=str(exc))
        await asyncio.sleep(interval_s)


def build_worker(settings: WorkerSettings, queue_name: str | None = None, **overrides: Any) -> Worker:
    queue_name = queue_name or queue_for(settings.gpu_mode, settings.ml_service_url)

    async def on_startup(ctx: dict[str, Any]) -> None:
        deps = bootstrap.build(settings, ctx["redis"])
        ctx["deps"] = deps
        reconciler = Reconciler(deps)
        ctx["background"] = [
            asyncio.create_task(_reconcile_forever(reconciler, settings.reconcile_interval_s)),
            # Lost jobs and expired leases are checked every lease period, so a SIGKILLed
            # worker's task runs again within about two lease TTLs, not RECONCILE_INTERVAL.
            asyncio.create_task(_reconcile_forever(reconciler, settings.lease_ttl_s, running_only=True)),
            asyncio.create_task(_announce_forever(ctx["redis"], queue_name, settings.health_check_interval_s)),
        ]
        outbox = SqlOutbox(deps.db)
        dispatcher = Dispatcher(outbox, settings.webhook_secret, deadline_s=settings.webhook_timeout_s,
                                allowed=settings.webhook_allowed_ranges,
                                give_up_after=timedelta(hours=settings.webhook_give_up_hours))
        ctx["webhook_dispatcher"] = dispatcher
        if not settings.webhook_secret and (unsigned := await outbox.unsigned_webhooks()):
            log.error("webhooks_unsigned", webhooks=unsigned,
                      hint="set WEBHOOK_SECRET on the workers (as on the API) or give these subscriptions a "
                           "secret: their deliveries are held, never sent unsigned")
        ctx["background"].append(asyncio.create_task(dispatcher.run_forever(settings.webhook_poll_s)))
        if settings.metrics_port:
            # The worker has no REST API: a metrics-only listener for Prometheus. A busy
            # port (two workers on one host, same setting) costs the metrics, not the worker.
            try:
                start_http_server(settings.metrics_port, addr=settings.metrics_host)
            except OSError as exc:
                log.error("metrics_listener_failed", port=settings.metrics_port, error=str(exc))
        log.info("worker_started", queue=queue_name, max_jobs=settings.max_jobs,
                 metrics=f"{settings.metrics_host}:{settings.metrics_port}" if settings.metrics_port else None)

    async def on_shutdown(ctx: dict[str, Any]) -> None:
        for loop_task in ctx.get("background", []):
            loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await loop_task
        if "webhook_dispatcher" in ctx:
            await ctx["webhook_dispatcher"].aclose()
        if "deps" in ctx:
            await ctx["deps"].close()

    options: dict[str, Any] = {
        "functions": [func(run_task, name=JOB_FUNCTION, max_tries=settings.max_tries)],
        "queue_name": queue_name,
        "redis_settings": redis_settings(settings.redis_url, conn_retries=30),
        "on_startup": on_startup,
        "on_shutdown": on_shutdown,
        "max_jobs": settings.max_jobs,
        "job_timeout": JOB_CEILING_S,  # ARQ_JOB_TIMEOUT bounds each segment (segmented.py)
        "keep_result": settings.keep_result_s,
        "max_tries": settings.max_tries,
        "allow_abort_jobs": True,
        "health_check_interval": settings.health_check_interval_s,
        "job_completion_wait": settings.shutdown_grace_s,
        "poll_delay": settings.poll_delay_s,
    }
    options.update(overrides)
    return PausableWorker(**options)


def main(settings: WorkerSettings | None = None) -> None:
    settings = settings or WorkerSettings()
    configure_logging(settings.log_level, settings.log_format, service="worker", secrets=settings.secret_values())
    # arq logs two INFO lines per job; job_consumed / job_completed say the same with our
    # ids, and rendering arq's lines cost ~10% of a fast job's CPU. Its warnings still show.
    logging.getLogger("arq.worker").setLevel(max(logging.WARNING, logging.getLevelName(settings.log_level)))
    log.info("service_start", config=masked(settings))
    build_worker(settings).run()
