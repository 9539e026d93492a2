"""A small, fast slice of `make bench-quality`'s ground truth (dev/quality_video.py):
what the default models find in short clips whose content is known, through the ML
service over HTTP with the default configs. A wrong default (a detector that sees faces
in print, a scene threshold that misses similar shots) fails here."""

from __future__ import annotations

import tempfile
from pathlib import Path

import cv2
import numpy as np
import quality_video as qv
import sample_videos as sv
import scene_cases as sc
from test_ml_operations import infer, ml_service

from reelscan_shared.analyses import default_config
from reelscan_shared.domain.tasks import TaskType

FPS = sv.FPS


def still(image: np.ndarray, seconds: float) -> list[np.ndarray]:
    return [image] * int(seconds * FPS)


async def test_the_default_face_detector_finds_the_face_and_nothing_in_print_or_photos(tmp_path) -> None:
    library = tmp_path / "library"
    rng = np.random.default_rng(3)
    face_free = [*qv.photos(), qv.texture(rng)]  # coffee, a rocket, a page of print, a cat, cells, a texture
    with_face = qv.texture(rng)[:, :qv.SIZE[0]].copy()
    patch, mask = qv.face_patch(160, 20)  # turned 20 degrees
    x, y = 700, 200
    with_face[y:y + 160, x:x + 160][mask > 0] = patch[mask > 0]
    frames = [f for image in face_free for f in still(np.ascontiguousarray(image[:, :qv.SIZE[0]]), 1.0)]
    video = sv.write_video(library / "faces.mp4", frames + still(with_face, 2.0))
    async with ml_service(library, tmp_path) as client:
        resp = await infer(client, "face_detection", video, frame_interval_s=0.5, emit="frames")
    assert resp.status_code == 200, resp.text
    seen = [(i["payload"]["frame_ms"], [i["payload"]["box"][k] for k in ("x1", "y1", "x2", "y2")],
             i["payload"]["confidence"]) for i in resp.json()["items"]]
    face_from_ms = len(face_free) * 1000
    face_box = [x + 40, y + 40, x + 120, y + 120]
    assert not [s for s in seen if s[0] < face_from_ms or qv.iou(s[1], face_box) < 0.3], "a face where there is none"
    assert len({t for t, _, _ in seen}) == 4, f"the face in each of the 4 frames sampled: {seen}"


async def cuts_between(tmp_path: Path, first: np.ndarray, second: np.ndarray) -> list[int]:
    """Where the default scene detector cuts a clip of two 2 s shots (ms, the start left out)."""
    library = tmp_path / "library"
    video = sv.write_video(library / "shots.mp4", still(first, 2.0) + still(second, 2.0))
    async with ml_service(library, tmp_path) as client:
        resp = await infer(client, "scene_detection", video)
    assert resp.status_code == 200, resp.text
    return [i["payload"]["start_ms"] for i in resp.json()["items"] if i["payload"]["start_ms"] > 0]


async def test_the_default_scene_detector_finds_a_cut_between_two_similar_shots(tmp_path) -> None:
    shot = np.ascontiguousarray(qv.texture(np.random.default_rng(8))[:, :qv.SIZE[0]])
    cuts = await cuts_between(tmp_path, shot, np.ascontiguousarray(qv.similar_shot(shot)))
    assert len(cuts) == 1 and abs(cuts[0] - 2000) <= 1000 / FPS, cuts


async def test_the_default_scene_detector_finds_a_cut_between_two_dim_grey_shots(tmp_path) -> None:
    # Night, a dull room, then another: ContentDetector alone misses this cut (its
    # colour and edges hardly change); the frames' shapes do.
    rng = np.random.default_rng(11)
    first, second = (np.ascontiguousarray(qv.dim(qv.texture(rng))[:, :qv.SIZE[0]]) for _ in range(2))
    cuts = await cuts_between(tmp_path, first, second)
    assert len(cuts) == 1 and abs(cuts[0] - 2000) <= 1000 / FPS, cuts


async def cuts_in(tmp_path: Path, shots: list[list[np.ndarray]]) -> list[int]:
    """Where the default scene detector cuts a clip of these shots (ms, the start left out)."""
    library = tmp_path / "library"
    video = sv.write_video(library / "shots.mp4", [f for shot in shots for f in shot])
    async with ml_service(library, tmp_path) as client:
        resp = await infer(client, "scene_detection", video)
    assert resp.status_code == 200, resp.text
    return [i["payload"]["start_ms"] for i in resp.json()["items"] if i["payload"]["start_ms"] > 0]


def panning(background: np.ndarray, seconds: float, overlay: sc.Overlay, speed: float = 3.0,
            light: tuple[float, float] = (1.0, 1.0)) -> list[np.ndarray]:
    return list(sc._shot_frames(background, int(seconds * FPS), speed, light, overlay))


async def test_the_default_scene_detector_finds_cuts_inside_a_still_slide_frame(tmp_path) -> None:
    # Two thirds of the frame (the slide around the picture) stay the same across the
    # cuts: ContentDetector's mean change and the frame's hash hardly move (the default
    # before the adaptive detector found none of these three cuts).
    rng = np.random.default_rng(5)
    shots = [panning(sc.similar_texture(rng, sc.PALETTE[0]), 2.0, sc.slide, speed, light)
             for speed, light in ((1.0, (1.0, 0.8)), (6.0, (0.8, 1.0)), (3.0, (1.0, 1.0)), (1.0, (1.0, 0.8)))]
    cuts = await cuts_in(tmp_path, shots)
    assert [round(c / 1000 * FPS) for c in cuts] == [50, 100, 150], cuts


async def test_the_default_scene_detector_invents_no_cut_in_a_pan_that_fades_under_a_plate(tmp_path) -> None:
    rng = np.random.default_rng(6)
    drift = sc.similar_texture(rng, sc.PALETTE[1], contrast=40, extra=8 * 6 * FPS + 100)
    shot = [sc.plate(f) for f in panning(drift, 6.0, sc._none, 8.0, (1.0, 0.4))]  # fast drift, light fades
    assert await cuts_in(tmp_path, [shot]) == []


async def test_the_default_ocr_reads_no_words_in_real_photographs_without_text(tmp_path) -> None:
    # Before the text rules RapidOCR read a buckle on the astronaut's suit as "B" (0.92)
    # and the cat's eye as "0"; on the bench's textures "国", "G", "R".
    library = tmp_path / "library"
    video = qv.textless_video(library / "photos.mp4", seconds_each=2.0)
    async with ml_service(library, tmp_path) as client:
        resp = await infer(client, "ocr", video)
    assert resp.status_code == 200, resp.text
    assert [i["payload"]["text"] for i in resp.json()["items"]] == []


async def test_the_default_ocr_reads_a_word_over_a_busy_background(tmp_path) -> None:
    library = tmp_path / "library"
    image = np.ascontiguousarray(qv.photos()[0][:, :qv.SIZE[0]])  # coffee, no plate under the word
    cv2.putText(image, "HARBOR", (420, 200), cv2.FONT_HERSHEY_SIMPLEX, 3.0, (255, 255, 255), 8, cv2.LINE_AA)
    video = sv.write_video(library / "word.mp4", still(image, 2.0))
    async with ml_service(library, tmp_path) as client:
        resp = await infer(client, "ocr", video)
    assert resp.status_code == 200, resp.text
    assert "HARBOR" in {w for i in resp.json()["items"] for w in i["payload"]["text"].upper().split()}


async def test_the_default_transcription_hears_a_sentence_in_a_second_voice(tmp_path) -> None:
    library = tmp_path / "library"
    sentence = "In this part we look at the garden, and then we move on."
    with tempfile.TemporaryDirectory() as tmp:
        samples, rate = sv._read_wav(sv._espeak_wav(sentence, Path(tmp) / "s.wav", "en-gb", 175))
    pad = np.zeros(rate // 2, np.int16)
    audio = np.concatenate([pad, samples, pad])
    black = np.zeros((360, 640, 3), np.uint8)
    video = sv.write_video(library / "speech.mp4", still(black, len(audio) / rate), (audio, rate))
    async with ml_service(library, tmp_path) as client:
        resp = await infer(client, "transcription", video, **default_config(TaskType.TRANSCRIPTION))
    assert resp.status_code == 200, resp.text
    heard = qv.words(" ".join(i["payload"]["text"] for i in resp.json()["items"]))
    assert {"look", "garden", "move"} <= set(heard), heard
