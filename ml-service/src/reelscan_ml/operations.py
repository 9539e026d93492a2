"""The ML service's operational endpoints: /health (liveness), /ready, /metrics."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from reelscan_ml import device, runnable
from reelscan_ml.state import MLState
from reelscan_shared.metrics import MODELS_LOADED

router = APIRouter()


@router.get("/health")
async def health(request: Request) -> dict[str, Any]:
    """Liveness: answers at once, whatever the models are doing."""
    state: MLState = request.app.state.ml
    models = state.registry.describe()
    return {
        "status": "degraded" if any(m["state"] == "failed" for m in models.values()) else "ok",
        "device": state.device,
        "memory": device.memory(state.device),
        "semaphore": state.gate.describe(),
        "models": models,
        "allow_untrained": state.settings.allow_untrained,
        # Per analysis: whether a request for it would run, and if not why and what fixes it.
        "analyses": runnable.describe(state.registry, state.settings.allow_untrained, state.fetches),
    }


@router.get("/ready")
async def ready(request: Request) -> JSONResponse:
    """Readiness: 503 until every ML_PRELOAD model is loaded."""
    state: MLState = request.app.state.ml
    allow = state.settings.allow_untrained
    # A preloaded analysis that may not run (no trained weights) is not loaded, and not waited for.
    preload = {a: state.registry[a].describe() for a in state.settings.preload
               if runnable.refusal(state.registry[a], allow) is None}
    not_ready = {a: m["state"] for a, m in preload.items() if m["state"] != "ready"}
    body = {"ready": not not_ready, "device": state.device, "not_ready": not_ready,
            "errors": {a: m["error"] for a, m in preload.items() if m["error"]},
            "not_runnable": [a for a in state.settings.preload if runnable.refusal(state.registry[a], allow)]}
    return JSONResponse(body, status_code=200 if not not_ready else 503)


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    state: MLState = request.app.state.ml
    for analysis, model in state.registry.models.items():
        MODELS_LOADED.labels(analysis).set(1 if model.state == "ready" else 0)
    if state.device == "cuda":
        await asyncio.to_thread(device.refresh_gpu_metrics)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
