"""The ML service: POST /infer/{task_type}; GET /health (liveness), /ready, /metrics.
Internal only and stateless: it reads videos from the library and returns results."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from reelscan_ml import __version__, autofetch, device, runnable
from reelscan_ml.analyzers import ANALYZERS
from reelscan_ml.frames import VideoUnreadable
from reelscan_ml.gate import Overloaded
from reelscan_ml.lifecycle import preload_models, unload_idle_models
from reelscan_ml.models.base import InvalidModelOutput, ModelNotAvailable
from reelscan_ml.operations import router as operations_router
from reelscan_ml.pipeline import InferenceContext
from reelscan_ml.provenance import config_hash, input_hash, new_run_id, producer_version
from reelscan_ml.settings import MLSettings
from reelscan_ml.state import MLState
from reelscan_shared.domain.errors import PathNotAllowed
from reelscan_shared.domain.tasks import TaskType
from reelscan_shared.files import confine
from reelscan_shared.logging import configure_logging, get_logger
from reelscan_shared.metrics import INFERENCE_DURATION, INFERENCE_REJECTED
from reelscan_shared.request_context import RequestContextMiddleware
from reelscan_shared.schemas.ml import InferenceItem, InferenceRequest, InferenceResponse
from reelscan_shared.settings import masked

log = get_logger(__name__)


def create_app(settings: MLSettings | None = None) -> FastAPI:
    settings = settings or MLSettings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.log_level, settings.log_format, service="ml")
        log.info("service_start", version=__version__, config=masked(settings))
        threads = await asyncio.to_thread(device.set_torch_threads, settings.torch_threads)
        try:
            dev = await asyncio.to_thread(device.choose_device, settings.device, settings.require_gpu)
        except device.GpuRequired as exc:
            log.error("startup_failed", error=str(exc))
            raise
        settings.model_cache_dir.mkdir(parents=True, exist_ok=True)
        state = app.state.ml = MLState(settings, dev)
        log.info(
            "ml_service_ready",
            device=dev,
            gpu_concurrency=settings.gpu_concurrency,
            torch_threads=threads,
            models={a: m.spec.name for a, m in state.registry.models.items()},
            roots=[str(r) for r in state.roots],
        )
        background = [asyncio.create_task(preload_models(state)),
                      asyncio.create_task(runnable.recheck_forever(state.registry, settings.weights_check_s))]
        fetching = {a.value for a, _ in autofetch.wanted(state)} if settings.model_auto_pull else set()
        if fetching:  # MODEL_AUTO_PULL: in the background, start-up goes on
            background.append(asyncio.create_task(autofetch.fetch_missing(state)))
        for analysis, said in runnable.describe(state.registry, settings.allow_untrained).items():
            if not said["runnable"]:  # one line per analysis: what is missing, the command that gets it
                log.warning("analysis_not_runnable", analysis=analysis, reason=said["reason"], detail=said["detail"],
                            fetching=analysis in fetching)
        if settings.model_ttl > 0:
            background.append(asyncio.create_task(unload_idle_models(state.registry, settings.model_ttl)))
        try:
            yield
        finally:
            for task in background:
                task.cancel()
            state.close()

    app = FastAPI(title="Reelscan ML service", version=__version__, lifespan=lifespan)
    app.add_middleware(RequestContextMiddleware)  # the worker's X-Request-ID reaches these logs

    app.include_router(operations_router)
    app.add_exception_handler(runnable.NotRunnable, runnable.not_runnable_handler)

    @app.post("/infer/{task_type}", response_model=InferenceResponse)
    async def infer(task_type: str, body: InferenceRequest, request: Request) -> InferenceResponse:
        return await run_inference(request.app.state.ml, task_type, body)

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("inference_crashed", error=str(exc))
        return JSONResponse({"detail": f"inference failed: {type(exc).__name__}: {exc}"}, status_code=500)

    return app


async def run_inference(state: MLState, task_type: str, body: InferenceRequest) -> InferenceResponse:
    """Check the request, then run the analyzer within the admission limit and the timeout."""
    if task_type not in ANALYZERS:
        raise HTTPException(404, f"unknown analysis {task_type!r}; one of {sorted(t.value for t in ANALYZERS)}")
    analysis = TaskType(task_type)
    analyzer = ANALYZERS[analysis]
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
    # Before any work: a model without trained weights refuses (unless ALLOW_UNTRAINED).
    await runnable.check(state.registry, analysis, state.settings.allow_untrained)
    ctx = InferenceContext(state.registry, state.gate, state.decode_pool, analysis, body.start_ms, body.end_ms,
                           text_langs=state.settings.text_langs)
    started = time.monotonic()
    timeout = state.settings.ml_request_timeout
    try:
        async with state.gate.admit(), asyncio.timeout(timeout):
            output, digest = await asyncio.gather(analyzer.run(ctx, path, cfg), ctx.in_thread(input_hash, path))
    except Overloaded as exc:
        INFERENCE_REJECTED.labels("overloaded").inc()
        raise HTTPException(503, str(exc), headers={"Retry-After": str(exc.retry_after_s)}) from exc
    except TimeoutError as exc:
        ctx.cancel.set()
        INFERENCE_REJECTED.labels("timeout").inc()
        log.warning("inference_timeout", analysis=analysis, video=path.name, timeout_s=timeout)
        raise HTTPException(
            504, f"{analysis} of {path.name} did not finish within ML_REQUEST_TIMEOUT ({timeout:g} s)"
        ) from exc
    except VideoUnreadable as exc:
        raise HTTPException(422, str(exc)) from exc
    except ModelNotAvailable as exc:
        raise HTTPException(503, str(exc), headers={"Retry-After": "60"}) from exc
    except InvalidModelOutput as exc:
        INFERENCE_REJECTED.labels("invalid_output").inc()
        log.error("inference_invalid_output", analysis=analysis, video=path.name, error=str(exc))
        raise HTTPException(500, str(exc)) from exc
    elapsed = time.monotonic() - started
    INFERENCE_DURATION.labels(analysis).observe(elapsed)
    log.info(
        "inference_done",
        analysis=analysis,
        video=path.name,
        items=len(output.items),
        segment_ms=[body.start_ms, body.end_ms],
        elapsed_s=round(elapsed, 3),
        **{f"{k}_s": round(v, 3) for k, v in ctx.timings.items()},
        model_profile=output.model_profile,
    )
    return InferenceResponse(
        artifact_type=analyzer.artifact_type,
        schema_version=output.schema_version,
        run_id=new_run_id(),
        config_hash=config_hash(cfg.model_dump(mode="json")),
        input_hash=digest,
        producer=output.producer,
        producer_version=producer_version(output.library, output.library_version),
        model_profile=output.model_profile,
        duration_ms=output.duration_ms,
        elapsed_ms=int(elapsed * 1000),
        start_ms=body.start_ms,
        end_ms=output.end_ms if output.end_ms is not None else body.end_ms,
        items=[InferenceItem(**item) for item in output.items],
    )
