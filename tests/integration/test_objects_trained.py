"""Object detection runs out of the box: the default profile (YOLOv3-tiny, trained
weights from a package) is not refused with ALLOW_UNTRAINED off, and finds what is in
real photographs (in-process ASGI, the real model, a real video)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import cv2
import httpx
import numpy as np
import sample_videos as sv
from skimage import data

from reelscan_ml.app import create_app
from reelscan_ml.settings import MLSettings
from reelscan_shared.schemas.configs import ObjectsConfig

SECONDS_EACH = 2


@contextlib.asynccontextmanager
async def ml_service(library: Path, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    # Default settings: ALLOW_UNTRAINED off, OBJECTS_MODEL unset.
    settings = MLSettings(VIDEO_PATHS=str(library), MODEL_CACHE_DIR=str(tmp_path / "models"))
    assert settings.allow_untrained is False
    app = create_app(settings)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://ml", timeout=300) as client:
        yield client


def in_frame(photo: np.ndarray) -> np.ndarray:
    """The photograph fitted to the height of a 640x360 frame, black bars beside it."""
    width, height = sv.SIZE
    fitted = cv2.resize(photo, (round(photo.shape[1] * height / photo.shape[0]), height),
                        interpolation=cv2.INTER_AREA)
    frame = np.zeros((height, width, 3), np.uint8)
    offset = (width - fitted.shape[1]) // 2
    frame[:, offset:offset + fitted.shape[1]] = fitted
    return frame


async def test_default_object_detection_is_trained_and_finds_a_person_then_a_cat(tmp_path: Path) -> None:
    library = tmp_path / "library"
    shots = [in_frame(data.astronaut()), in_frame(data.chelsea())]
    sv.write_video(library / "astronaut-then-chelsea.mp4",
                   [shot for shot in shots for _ in range(SECONDS_EACH * sv.FPS)])
    async with ml_service(library, tmp_path) as client:
        health = (await client.get("/health")).json()
        assert health["analyses"]["object_detection"]["runnable"] is True
        assert (health["models"]["object_detection"]["weights"],
                health["models"]["object_detection"]["source"]) == ("trained", "package")
        resp = await client.post("/infer/object_detection", json={
            "video_path": str(library / "astronaut-then-chelsea.mp4"), "config": {}})
    assert resp.status_code == 200, resp.text  # not 424: nothing untrained about it
    body = resp.json()
    assert body["model_profile"] == "yolov3-tiny-darknet-coco"
    split = SECONDS_EACH * 1000
    astronaut = {i["payload"]["label"] for i in body["items"] if i["span_end_ms"] < split}
    chelsea = {i["payload"]["label"] for i in body["items"] if i["span_start_ms"] >= split}
    assert "person" in astronaut, body["items"]
    assert "cat" in chelsea and "person" not in chelsea, body["items"]
    for sighting in (s for item in body["items"] for s in item["payload"]["sightings"]):
        box = sighting["box"]  # clipped to the frame
        assert 0 <= box["x1"] < box["x2"] <= sv.SIZE[0] and 0 <= box["y1"] < box["y2"] <= sv.SIZE[1]
        assert sighting["confidence"] >= ObjectsConfig().min_confidence  # the analysis's default
