"""The FastAPI application: lifespan wiring, error translation, routers."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from reelscan_api import bootstrap, webapp
from reelscan_api.access import AccessMiddleware
from reelscan_api.bounds import BodyLimitMiddleware, CancelOnDisconnectMiddleware
from reelscan_api.health import HealthMonitor
from reelscan_api.live_events import ShutdownSignal
from reelscan_api.reprocess import InvalidConfig
from reelscan_api.routes import ROUTERS
from reelscan_api.settings import ApiSettings
from reelscan_api.watcher import watch_forever
from reelscan_shared.adapters.db.engine import is_statement_timeout, permanent_error
from reelscan_shared.domain.errors import (
    AlreadyExists,
    InvalidTransition,
    NotFound,
    PathNotAllowed,
    QueueUnavailable,
    VideoMissing,
)
from reelscan_shared.logging import configure_logging, get_logger
from reelscan_shared.request_context import RequestContextMiddleware
from reelscan_shared.settings import masked

log = get_logger(__name__)


def _error(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status)


async def _no_nul_in_query(request: Request) -> None:
    """PostgreSQL text cannot hold NUL: a query parameter with one is refused by name,
    before any query runs (bodies are caught by the database error handler below)."""
    bad = [key for key, value in request.query_params.multi_items() if "\x00" in key or "\x00" in value]
    if bad:
        raise RequestValidationError([{"loc": ("query", key), "type": "value_error",
                                       "msg": "NUL characters are not allowed", "input": None} for key in bad])


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotFound)
    async def _not_found(_: Request, exc: NotFound) -> JSONResponse:
        return _error(404, str(exc))

    @app.exception_handler(InvalidTransition)
    @app.exception_handler(AlreadyExists)
    @app.exception_handler(VideoMissing)
    async def _conflict(_: Request, exc: Exception) -> JSONResponse:
        return _error(409, str(exc))

    @app.exception_handler(PathNotAllowed)
    async def _outside_library(_: Request, exc: PathNotAllowed) -> JSONResponse:
        return _error(403, str(exc))

    @app.exception_handler(InvalidConfig)
    async def _bad_config(_: Request, exc: InvalidConfig) -> JSONResponse:
        return JSONResponse({"detail": exc.errors}, status_code=422)

    @app.exception_handler(QueueUnavailable)
    async def _queue_down(_: Request, exc: QueueUnavailable) -> JSONResponse:
        return _error(503, str(exc))

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    @app.exception_handler(DBAPIError)
    @app.exception_handler(OSError)
    async def _db_down(_: Request, exc: Exception) -> JSONResponse:
        if is_statement_timeout(exc):
            timeout_ms = app.state.settings.db_statement_timeout_ms
            log.warning("statement_timeout", timeout_ms=timeout_ms)
            return _error(503, f"the database gave up on this request after {timeout_ms} ms "
                               "(DB_STATEMENT_TIMEOUT_MS); narrow it or try again later")
        refused = permanent_error(exc)
        if refused is not None:  # the request's own value (a NUL character, say), not an outage
            log.info("database_refused_request_value", error=refused)
            # FastAPI's 422 shape (HTTPValidationError), as every other 422 of the API
            return JSONResponse({"detail": [{"loc": ["request"], "type": "value_error",
                                             "msg": f"a value in this request cannot be stored or searched "
                                                    f"({refused})"}]}, status_code=422)
        log.warning("database_unavailable", error=str(exc)[:300])
        return _error(503, "database unavailable, try again shortly")


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    settings = settings or ApiSettings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.log_level, settings.log_format, service="api", secrets=settings.secret_values())
        log.info("service_start", config=masked(settings))
        container = bootstrap.build(settings)
        app.state.container = container
        app.state.health = HealthMonitor(container)
        app.state.stopping.install()  # GET /events streams end when the server is asked to stop
        background: list[asyncio.Task[None]] = []
        background.append(asyncio.create_task(_sync_webhooks(container)))
        if settings.discovery_interval > 0:
            # One scan right away, then every DISCOVERY_INTERVAL seconds.
            background.append(asyncio.create_task(_scan_then_loop(container, settings.discovery_interval)))
        if settings.discovery_watch and settings.discovery_interval > 0:
            # Each API process watches (API_WORKERS): the scans they start are serialised by the
            # library lock, and the second finds nothing left to do.
            background.append(asyncio.create_task(watch_forever(settings.video_roots, container.discovery.scan)))
        try:
            yield
        finally:
            app.state.stopping.uninstall()
            for t in background:
                t.cancel()
            await asyncio.gather(*background, return_exceptions=True)
            await app.state.health.close()
            await container.close()

    app = FastAPI(title="Reelscan API", version="0.1.0", lifespan=lifespan,
                  dependencies=[Depends(_no_nul_in_query)],
                  description="Videos, analysis tasks and their timestamped artifacts.")
    _install_error_handlers(app)

    app.state.settings = settings
    app.state.stopping = ShutdownSignal()
    # Outermost last: request ids and metrics see every answer, refusals included.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.api_max_body_bytes)
    app.add_middleware(AccessMiddleware, settings=settings)
    app.add_middleware(CancelOnDisconnectMiddleware)
    app.add_middleware(RequestContextMiddleware)

    for router in ROUTERS:
        app.include_router(router)
    webapp.mount(app, settings.web_dist_dir)
    return app


SCAN_ROUND_KEY = "reelscan:discovery-round"


async def claim_scan_round(redis: Redis, interval: float) -> bool:
    """One periodic scan per interval across all API processes (API_WORKERS, replicas):
    the first to set the key, which expires before the next round, scans. Scans are
    idempotent, so with Valkey down every process scans rather than none."""
    try:
        return bool(await redis.set(SCAN_ROUND_KEY, str(os.getpid()), nx=True, px=max(1, int(interval * 900))))
    except (RedisError, OSError):
        return True


async def _sync_webhooks(container: bootstrap.Container) -> None:
    """WEBHOOK_URLS into the subscriptions table, once the database answers."""
    for delay in (0, 1, 2, 5, 10, 30):
        await asyncio.sleep(delay)
        try:
            await container.outbox.sync_env_webhooks(container.settings.webhook_url_list)
            return
        except Exception:  # noqa: BLE001 - the database is still starting
            log.warning("webhook_sync_failed", retry_in_s=delay)
    log.error("webhook_sync_gave_up")


async def _scan_then_loop(container: bootstrap.Container, interval: float) -> None:
    try:
        await container.discovery.scan()
    except Exception:  # e.g. the database is still starting; the loop retries
        log.exception("discovery_scan_failed")
    await container.discovery.run_forever(interval, lambda: claim_scan_round(container.redis, interval))
