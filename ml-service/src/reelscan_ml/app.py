"""The ML service: POST /infer/{analysis}, GET /health. Internal only, stateless."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import ValidationError

from reelscan_ml import __version__, device
from reelscan_ml.analyzers import ANALYZERS, frame_based, scenes, transcribe  # noqa: F401 - register analyzers
from reelscan_ml.frames import VideoUnreadable
from reelscan_ml.gate import GpuGate
from reelscan_ml.models.registry import ModelRegistry
from reelscan_ml.paths import confine
from reelscan_ml.provenance import config_hash, input_hash, new_run_id, producer_version
from reelscan_ml.settings import MLSettings
from reelscan_shared.domain.errors import PathNotAllowed
from reelscan_shared.logging import configure_logging, get_logger
from reelscan_shared.metrics import INFERENCE_DURATION
from reelscan_shared.schemas.ml import InferenceItem, InferenceRequest, InferenceResponse

log = get_logger(__name__)


class MLState:
    def __init__(self, settings: MLSettings, dev: str) -> None:
        self.settings = settings
        self.device = dev
        self.gate = GpuGate(settings.gpu_concurrency)
        self.registry = ModelRegistry(settings.model_cache_dir.expanduser().resolve(), dev)
        self.roots = settings.video_roots


def create_app(settings: MLSettings | None = None) -> FastAPI:
    settings = settings or MLSettings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.log_level, settings.log_format, service="ml")
        if settings.torch_threads:
            import torch

            torch.set_num_threads(settings.torch_threads)
        dev = await asyncio.to_thread(device.choose_device, settings.device, settings.require_gpu)
        settings.model_cache_dir.mkdir(parents=True, exist_ok=True)
        app.state.ml = MLState(settings, dev)
        log.info("ml_service_ready", device=dev, gpu_concurrency=settings.gpu_concurrency,
                 roots=[str(r) for r in app.state.ml.roots])
        if settings.preload_models:
            for model in app.state.ml.registry.models.values():
                await asyncio.to_thread(model.load)
        yield

    app = FastAPI(title="Reelscan ML service", version=__version__, lifespan=lifespan)

    @app.get("/health")
    async def health(request: Request) -> dict[str, Any]:
        state: MLState = request.app.state.ml
        return {
            "status": "ok",
            "device": state.device,
            "gpu": await asyncio.to_thread(device.gpu_info),
            "memory": device.process_memory(),
            "gpu_concurrency": state.gate.concurrency,
            "in_use": state.gate.in_use,
            "waiting": state.gate.waiting,
            "peak_in_use": state.gate.peak,
            "models": state.registry.describe(),
        }

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @app.post("/infer/{analysis}", response_model=InferenceResponse)
    async def infer(analysis: str, body: InferenceRequest, request: Request) -> InferenceResponse:
        return await run_inference(request.app.state.ml, analysis, body)

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("inference_crashed", error=str(exc))
        return JSONResponse({"detail": f"inference failed: {type(exc).__name__}: {exc}"}, status_code=500)

    return app


async def run_inference(state: MLState, analysis: str, body: InferenceRequest) -> InferenceResponse:
    """Confine the path, validate the config, run the analyzer under the GPU gate."""
    analyzer = ANALYZERS.get(analysis)
    if analyzer is None:
        raise HTTPException(404, f"unknown analysis {analysis!r}; one of {sorted(ANALYZERS)}")
    try:
        path = confine(body.video_path, state.roots)
    except PathNotAllowed as exc:
        raise HTTPException(403, str(exc)) from exc
    if not path.is_file():
        raise HTTPException(404, f"video file not found: {body.video_path}")
    try:
        cfg = analyzer.config_model.model_validate(body.config)
    except ValidationError as exc:
        raise HTTPException(422, f"invalid config for {analysis}: {exc.errors(include_url=False)}") from exc
    started = time.monotonic()
    try:
        output = await state.gate.run(analyzer.run, path, cfg, state.registry)
        digest = await asyncio.to_thread(input_hash, path)
    except VideoUnreadable as exc:
        raise HTTPException(422, str(exc)) from exc
    elapsed = time.monotonic() - started
    INFERENCE_DURATION.labels(analysis).observe(elapsed)
    log.info("inference_done", analysis=analysis, video=path.name, items=len(output.items),
             elapsed_s=round(elapsed, 3), model_profile=output.model_profile)
    return InferenceResponse(
        artifact_type=analyzer.artifact_type, run_id=new_run_id(),
        config_hash=config_hash(cfg.model_dump(mode="json")), input_hash=digest, producer=output.producer,
        producer_version=producer_version(output.library, output.library_version),
        model_profile=output.model_profile, duration_ms=output.duration_ms, elapsed_ms=int(elapsed * 1000),
        items=[InferenceItem(**item) for item in output.items],
    )
