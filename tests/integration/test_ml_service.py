"""The ML service over HTTP (in-process ASGI): confinement, validation, real inference."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from reelscan_ml.app import create_app
from reelscan_ml.settings import MLSettings


@pytest.fixture
async def ml(tmp_path: Path, sample_videos: dict[str, Path]) -> AsyncIterator[tuple[httpx.AsyncClient, Path]]:
    library = tmp_path / "library"
    library.mkdir()
    for name in ("cuts", "text"):
        os.symlink(sample_videos[name], library / f"{name}.mp4")  # a link to outside is refused...
    (library / "cuts-copy.mp4").write_bytes(sample_videos["cuts"].read_bytes())  # ...a real file is fine
    (library / "corrupt.mp4").write_bytes(os.urandom(20_000))
    (library / "empty.mp4").write_bytes(b"")
    (tmp_path / "outside.mp4").write_bytes(sample_videos["cuts"].read_bytes())
    # The untrained Places network runs here (ALLOW_UNTRAINED): its code paths are under test.
    settings = MLSettings(VIDEO_PATHS=str(library), MODEL_CACHE_DIR=str(tmp_path / "models"), GPU_CONCURRENCY=1,
                          ALLOW_UNTRAINED=True)
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), \
            httpx.AsyncClient(transport=transport, base_url="http://ml", timeout=120) as client:
        yield client, library


async def infer(client: httpx.AsyncClient, analysis: str, path: Path | str, config: dict | None = None):
    return await client.post(f"/infer/{analysis}", json={"video_path": str(path), "config": config or {}})


async def test_scenes_finds_the_hard_cuts_with_provenance(ml) -> None:
    client, library = ml
    resp = await infer(client, "scene_detection", library / "cuts-copy.mp4")
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert [(i["span_start_ms"], i["span_end_ms"]) for i in body["items"]] == [(0, 2000), (2000, 4000), (4000, 6000)]
    assert body["artifact_type"] == "scene" and body["duration_ms"] == 6000
    for field in ("run_id", "config_hash", "input_hash", "producer", "producer_version", "model_profile"):
        assert body[field], field
    again = (await infer(client, "scene_detection", library / "cuts-copy.mp4")).json()
    assert again["input_hash"] == body["input_hash"] and again["config_hash"] == body["config_hash"]
    assert again["run_id"] != body["run_id"]


@pytest.mark.parametrize("requested", ["/etc/passwd", "{lib}/../outside.mp4", "{lib}/cuts.mp4", "relative.mp4"])
async def test_paths_outside_the_library_are_403(ml, requested) -> None:
    client, library = ml
    resp = await infer(client, "scene_detection", requested.format(lib=library))
    assert resp.status_code == 403 and "outside" in resp.json()["detail"]


async def test_bad_requests_are_4xx_with_a_message(ml) -> None:
    client, library = ml
    assert (await infer(client, "telepathy", library / "cuts-copy.mp4")).status_code == 404
    assert (await infer(client, "scene_detection", library / "missing.mp4")).status_code == 404
    bad_config = await infer(client, "ocr", library / "cuts-copy.mp4", {"frame_interval_s": -1})
    assert bad_config.status_code == 422 and "frame_interval_s" in bad_config.json()["detail"]
    unknown_key = await infer(client, "scene_detection", library / "cuts-copy.mp4", {"thresold": 3})
    assert unknown_key.status_code == 422
    assert (await client.post("/infer/scene_detection", json={"config": {}})).status_code == 422


@pytest.mark.parametrize("name", ["corrupt.mp4", "empty.mp4"])
@pytest.mark.parametrize("analysis", ["scene_detection", "object_detection", "transcription"])
async def test_unreadable_videos_are_422_with_a_readable_error(ml, name, analysis) -> None:
    client, library = ml
    resp = await infer(client, analysis, library / name)
    assert resp.status_code == 422
    assert name in resp.json()["detail"]


async def test_health_reports_models_device_memory_and_semaphore(ml) -> None:
    client, _ = ml
    body = (await client.get("/health")).json()
    assert body["status"] == "ok" and body["device"] == "cpu"
    assert body["memory"]["rss_mb"] > 0
    assert {"limit", "in_use", "waiting"} <= set(body["semaphore"]) and body["semaphore"]["limit"] == 1
    models = body["models"]
    assert set(models) == {"object_detection", "face_detection", "transcription", "ocr", "place_detection"}
    assert all(m["state"] == "not_loaded" for m in models.values()), "models load lazily"
    # Offline, Places365 has no trained weights: said, not hidden. The default object
    # detector (YOLOv3-tiny) has, from a package.
    assert models["place_detection"]["weights"] == "untrained"
    assert (models["object_detection"]["weights"], models["object_detection"]["source"]) == ("trained", "package")
    assert models["transcription"]["weights"] == "trained" and models["transcription"]["source"] == "package"
    assert (await infer(client, "face_detection", library_file(ml, "cuts-copy.mp4"))).status_code == 200
    faces = (await client.get("/health")).json()["models"]["face_detection"]
    assert faces["state"] == "ready" and faces["load_seconds"] is not None


def library_file(ml, name: str) -> Path:
    return ml[1] / name
