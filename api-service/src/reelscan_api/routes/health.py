from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from reelscan_api.health import HealthMonitor
from reelscan_api.schemas import HealthOut, ReadyOut
from reelscan_shared.metrics import metrics_registry

router = APIRouter(tags=["operations"])


def _monitor(request: Request) -> HealthMonitor:
    monitor: HealthMonitor = request.app.state.health
    return monitor


@router.get("/health", response_model=HealthOut, responses={503: {"model": HealthOut}})
async def health(request: Request) -> JSONResponse:
    """Dependency status (cached for HEALTH_CACHE_SECONDS); 503 when the database or Valkey is down.
    With API_TOKEN set and no credentials, only `{"status": ...}` (no paths, no errors)."""
    report = await _monitor(request).report()
    settings = request.app.state.settings
    if settings.api_token and not getattr(request.state, "authenticated", False):
        report = {"status": report["status"]}
    return JSONResponse(report, status_code=503 if report["status"] == "unhealthy" else 200)


@router.get("/ready", response_model=ReadyOut, responses={503: {"model": ReadyOut}})
async def ready(request: Request) -> JSONResponse:
    """Readiness probe: 200 once migrations are applied and PostgreSQL and Valkey answer."""
    report = await _monitor(request).report()
    checks = {"database": report["database"], "schema": report["schema"], "valkey": report["valkey"]}
    is_ready = checks == {"database": "up", "schema": "current", "valkey": "up"}
    return JSONResponse({"ready": is_ready, **checks}, status_code=200 if is_ready else 503)


@router.get("/live")
async def live() -> dict[str, str]:
    """Liveness probe: the process serves requests (no dependency is checked)."""
    return {"status": "alive"}


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    await _monitor(request).refresh_metrics()
    return Response(generate_latest(metrics_registry()), media_type=CONTENT_TYPE_LATEST)
