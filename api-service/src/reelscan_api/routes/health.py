from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from reelscan_api.bootstrap import Container
from reelscan_api.health import health_report
from reelscan_api.routes.deps import container
from reelscan_api.schemas import HealthOut

router = APIRouter(tags=["operations"])


@router.get("/health", response_model=HealthOut, responses={503: {"model": HealthOut}})
async def health(c: Container = Depends(container)) -> JSONResponse:
    """Dependency status; 503 when the database or Valkey is down."""
    report = await health_report(c)
    return JSONResponse(report, status_code=503 if report["status"] == "unhealthy" else 200)


@router.get("/metrics", include_in_schema=False)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
