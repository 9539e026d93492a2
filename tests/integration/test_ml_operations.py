"""Operating the ML service: back-pressure, request timeouts, /ready with
preloading, idle unloading, and /health while a model runs (in-process ASGI,
real models, real videos)."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from reelscan_ml.app import create_app
from reelscan_ml.settings import MLSettings


@contextlib.asynccontextmanager
async def ml_service(library: Path, tmp_path: Path, **env: str) -> AsyncIterator[httpx.AsyncClient]:
    # Untrained networks run here unless a test says otherwise: their operation is under test.
    settings = MLSettings(VIDEO_PATHS=str(library), MODEL_CACHE_DIR=str(tmp_path / "models"),
                          **{"ALLOW_UNTRAINED": "true", **env})
    app = create_app(settings)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://ml", timeout=300) as client:
        yield client


@pytest.fixture
def library(tmp_path: Path, sample_videos: dict[str, Path]) -> Path:
    lib = tmp_path / "library"
    lib.mkdir()
    for name in ("cuts", "text"):
        shutil.copy(sample_videos[name], lib / f"{name}.mp4")
    return lib


async def infer(client: httpx.AsyncClient, analysis: str, path: Path, **config: object) -> httpx.Response:
    return await client.post(f"/infer/{analysis}", json={"video_path": str(path), "config": config})


async def eventually(check, timeout_s: float = 30.0) -> None:
    for _ in range(int(timeout_s / 0.05)):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached")


async def test_overload_is_503_with_retry_after_and_the_model_never_overlaps(library, tmp_path) -> None:
    async with ml_service(library, tmp_path, GPU_CONCURRENCY="1", ML_MAX_WAITING="4") as client:
        responses = await asyncio.gather(*(
            infer(client, "object_detection", library / "cuts.mp4", frame_interval_s=0.2) for _ in range(16)))
        codes = sorted(r.status_code for r in responses)
        assert set(codes) == {200, 503}, codes
        assert codes.count(200) >= 5, "GPU_CONCURRENCY + ML_MAX_WAITING requests are admitted"
        for busy in (r for r in responses if r.status_code == 503):
            assert int(busy.headers["Retry-After"]) >= 1 and "busy" in busy.json()["detail"]
        gate = (await client.get("/health")).json()["semaphore"]
        assert gate["peak_executing"] == 1 and gate["in_use"] == 0 and gate["in_flight"] == 0
        metrics = (await client.get("/metrics")).text
        assert 'reelscan_inference_rejected_total{reason="overloaded"}' in metrics


async def test_health_answers_while_a_long_inference_runs(library, tmp_path) -> None:
    async with ml_service(library, tmp_path, GPU_CONCURRENCY="1") as client:
        long_ocr = asyncio.create_task(infer(client, "ocr", library / "text.mp4", frame_interval_s=1.0))
        seen_busy = 0
        while not long_ocr.done():
            health = await client.get("/health")
            assert health.status_code == 200
            seen_busy += health.json()["semaphore"]["in_use"]
            await asyncio.sleep(0.05)
        assert (await long_ocr).status_code == 200
        assert seen_busy > 0, "/health answered while the model held the semaphore"


async def test_a_request_past_its_timeout_is_504_and_releases_everything(library, tmp_path) -> None:
    # The timed-out request reads 40 frames (0.1 s apart over 4 s): seconds on any machine,
    # far past 0.5 s. ML_MAX_WAITING=0 leaves room for one request at a time, so had it kept
    # its place, the next request would be refused (503) instead of answered.
    (library / "notes.mp4").write_text("a text file with a video extension\n")
    async with ml_service(library, tmp_path, GPU_CONCURRENCY="1", ML_MAX_WAITING="0",
                          ML_REQUEST_TIMEOUT="0.5") as client:
        slow = await infer(client, "ocr", library / "text.mp4", frame_interval_s=0.1)
        assert slow.status_code == 504 and "ML_REQUEST_TIMEOUT" in slow.json()["detail"]

        async def idle() -> bool:
            gate = (await client.get("/health")).json()["semaphore"]
            return gate["in_use"] == 0 and gate["in_flight"] == 0
        await eventually(idle)
        # Admitted and answered: a file that is no video fails at once inside the request.
        after = await infer(client, "scene_detection", library / "notes.mp4")
        assert after.status_code == 422 and "notes.mp4" in after.json()["detail"]


async def test_ready_waits_for_preloaded_models(library, tmp_path) -> None:
    async with ml_service(library, tmp_path, ML_PRELOAD="face_detection,place_detection") as client:
        async def ready() -> bool:
            return (await client.get("/ready")).status_code == 200
        await eventually(ready)
        models = (await client.get("/health")).json()["models"]
        assert models["face_detection"]["state"] == models["place_detection"]["state"] == "ready"
        assert models["object_detection"]["state"] == "not_loaded"


async def test_a_model_without_weights_is_refused_and_not_waited_for(library, tmp_path) -> None:
    async with ml_service(library, tmp_path, ML_PRELOAD="face_detection", FACES_MODEL="yolov11n-face") as client:
        ready = await client.get("/ready")  # nothing to load: ready, and it says what cannot run
        assert ready.status_code == 200 and ready.json()["not_runnable"] == ["face_detection"]
        health = (await client.get("/health")).json()
        assert health["models"]["face_detection"]["state"] == "not_loaded"
        faces = health["analyses"]["face_detection"]
        assert (faces["runnable"], faces["reason"]) == (False, "missing")
        assert "reelscan-ml models pull face_detection" in faces["detail"]
        refused = await infer(client, "face_detection", library / "cuts.mp4")
        assert refused.status_code == 424
        assert refused.json() == {"detail": faces["detail"], "reason": "missing", "analysis": "face_detection",
                                  "model_profile": "yolov11n-face"}


async def test_without_allow_untrained_an_untrained_network_never_runs(library, tmp_path) -> None:
    """ALLOW_UNTRAINED=false (the default): a request for an analysis whose model has no
    trained weights is refused before any work (nothing is loaded or decoded), until the
    weights are there; an analysis with trained weights or no model runs as before."""
    cache = tmp_path / "models"
    async with ml_service(library, tmp_path, ALLOW_UNTRAINED="false", ML_PRELOAD="place_detection",
                          PLACES_MODEL="resnet18-places365", WEIGHTS_CHECK_SECONDS="3600") as client:
        assert (await client.get("/ready")).json()["not_runnable"] == ["place_detection"]
        refused = await infer(client, "place_detection", library / "cuts.mp4")
        assert refused.status_code == 424, refused.text
        body = refused.json()
        assert (body["reason"], body["analysis"], body["model_profile"]) == (
            "untrained", "place_detection", "resnet18-places365")
        assert body["detail"].startswith("no trained weights for place_detection: "
                                         "run `reelscan-ml models pull place_detection`")
        assert "ALLOW_UNTRAINED" in body["detail"]
        health = (await client.get("/health")).json()
        assert health["allow_untrained"] is False
        assert health["models"]["place_detection"]["state"] == "not_loaded"  # no work was done
        assert health["analyses"]["place_detection"]["runnable"] is False
        assert health["analyses"]["scene_detection"] == {"runnable": True, "weights": None, "reason": None,
                                                         "detail": None, "fetch": None}
        assert (await infer(client, "scene_detection", library / "cuts.mp4")).status_code == 200

        # Weights copied in while it runs count at the next request (not only at the next recheck).
        import torch
        import torchvision

        cache.mkdir(parents=True, exist_ok=True)
        torch.save({"state_dict": torchvision.models.resnet18(num_classes=365).state_dict()},
                   cache / "resnet18_places365.pth.tar")
        ran = await infer(client, "place_detection", library / "cuts.mp4")
        assert ran.status_code == 200, ran.text
        assert ran.json()["model_profile"] == "resnet18-places365"
        assert (await client.get("/health")).json()["analyses"]["place_detection"]["runnable"] is True


async def test_idle_models_are_unloaded_after_model_ttl_and_reload_on_use(library, tmp_path) -> None:
    async with ml_service(library, tmp_path, MODEL_TTL="0.5") as client:
        assert (await infer(client, "place_detection", library / "cuts.mp4")).status_code == 200

        async def unloaded() -> bool:
            return (await client.get("/health")).json()["models"]["place_detection"]["state"] == "not_loaded"
        await eventually(unloaded, 10)
        assert (await infer(client, "place_detection", library / "cuts.mp4")).status_code == 200
