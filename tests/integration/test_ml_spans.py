"""Spans from real models on generated videos whose content is known: a face that
moves, leaves and comes back; on-screen text read once however long it stays."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import cv2
import numpy as np
import sample_videos as sv
from skimage import data
from test_ml_operations import infer, ml_service

from reelscan_shared.analyses import validate_payload


def moving_face_video(path: Path) -> Path:
    """4 s at 25 fps: the astronaut's face moves right 6 px a frame for 2 s, the screen is
    empty from 2.0 to 3.0 s, then the face is back, still, for the last second."""
    width, height = sv.SIZE
    photo = cv2.resize(data.astronaut(), (height, height))
    frames = []
    for i in range(4 * sv.FPS):
        frame = np.zeros((height, width, 3), np.uint8)
        t = i / sv.FPS
        if t < 2.0 or t >= 3.0:
            x = min(i, 2 * sv.FPS - 1) * 6 if t < 2.0 else 100
            frame[:, x:x + height] = photo[:, : width - x]
        frames.append(frame)
    return sv.write_video(path, frames)


def metric(text: str, name: str, **labels: str) -> float:
    selector = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    found = re.search(rf"^{name}\{{{selector}\}} (\S+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


async def test_a_moving_face_is_one_track_and_a_face_back_after_an_absence_another(tmp_path) -> None:
    library = tmp_path / "library"
    library.mkdir()
    video = moving_face_video(library / "moving-face.mp4")
    async with ml_service(library, tmp_path) as client:
        resp = await infer(client, "face_detection", video, frame_interval_s=0.5, max_gap_samples=1)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert body["schema_version"] == 2
        tracks = [validate_payload("face_detection", i["payload"], 2)[1] for i in body["items"]]
        assert len(tracks) == 2, [(t["start_ms"], t["end_ms"]) for t in tracks]
        moving, back = tracks
        assert moving["start_ms"] == 0 and 1400 <= moving["end_ms"] < 2000
        xs = [s["box"]["x1"] for s in moving["sightings"]]
        assert xs == sorted(xs) and xs[-1] - xs[0] > 100, "the track follows the face to the right"
        assert back["start_ms"] >= 3000 and back["end_ms"] >= 3400  # the last sample: 3.48 s

        frames = await infer(client, "face_detection", video, frame_interval_s=0.5, emit="frames")
        assert frames.json()["schema_version"] == 1
        per_frame = [validate_payload("face_detection", i["payload"], 1)[1] for i in frames.json()["items"]]
        assert len(per_frame) == sum(len(t["sightings"]) for t in tracks), "the tracks hold every sighting"


async def test_text_on_screen_is_one_span_read_once_while_the_frame_does_not_change(tmp_path, sample_videos) -> None:
    library = tmp_path / "library"
    library.mkdir()
    shutil.copy(sample_videos["text"], library / "text.mp4")
    async with ml_service(library, tmp_path) as client:
        async def frames_counted() -> tuple[float, float]:  # the counters are process-wide: use deltas
            text = (await client.get("/metrics")).text
            return tuple(metric(text, "reelscan_inference_frames_total", analysis="ocr", outcome=outcome)
                         for outcome in ("read", "reused"))

        before = await frames_counted()
        reused = (await infer(client, "ocr", library / "text.mp4", frame_interval_s=0.5)).json()
        after = await frames_counted()
        read, skipped = after[0] - before[0], after[1] - before[1]
        every = (await infer(client, "ocr", library / "text.mp4", frame_interval_s=0.5,
                             reuse_unchanged=False)).json()
    spans = [validate_payload("ocr_text", i["payload"], 2)[1] for i in reused["items"]]
    words = " ".join(s["text"] for s in spans).upper()
    assert "REELSCAN" in words and "DEMO" in words
    assert all(s["start_ms"] == 0 and s["end_ms"] >= 3000 and s["sightings"] == 8 for s in spans), spans
    assert (read, skipped) == (1, 7), "a still frame is read once for its 8 samples"
    assert [i["payload"]["text"] for i in every["items"]] == [s["text"] for s in spans], \
        "reading every frame finds the same spans"
