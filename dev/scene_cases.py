"""The hard scene cases of `make bench-quality`: short generated clips whose cuts are
known, of the kinds real footage has and the chapter video (quality_video.py) lacks.

Every shot moves (a slow pan, a texture that drifts) and some fade their light a
little (a cloud, a dimmer) on both sides of a cut; those must never count as cuts.

- ``plate``: hard cuts between backgrounds of much the same colour under a static
  lower third and a logo that stay across the cut (news, interviews);
- ``slide``: the picture in a window of a static slide frame (a talk, a screen share):
  two thirds of the frame never change;
- ``letterbox``: 2.39:1 footage in black bars, with a burned-in caption band;
- ``similar``: cuts between similar-coloured moving textures, no overlay;
- ``pan-no-cut`` and ``fade-no-cut``: one shot each, a pan over a photograph under a
  plate and a texture that drifts fast while its light fades down and up again:
  no cut at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import sample_videos as sv

SIZE = (1280, 720)
SHOT_S = 2.4  # 60 frames
SHOTS = 6  # five cuts per cut case
PALETTE = ((40, 110, 125), (120, 90, 60), (70, 80, 95), (95, 120, 70))  # one per case: RGB base colours


@dataclass
class Case:
    name: str
    seconds: float
    cuts_ms: list[int] = field(default_factory=list)


Overlay = Callable[[np.ndarray], np.ndarray]


def similar_texture(rng: np.random.Generator, base: tuple[int, int, int], contrast: int = 28,
                    cells: int = 48, extra: int = 400) -> np.ndarray:
    """A low-contrast texture around one colour: two of them look alike on average."""
    w, h = SIZE
    small = rng.integers(-contrast, contrast + 1, ((h // cells) + 2, (w + extra) // cells + 2, 1))
    small = small + rng.integers(-contrast // 3, contrast // 3 + 1, (*small.shape[:2], 3))
    big = cv2.resize(small.astype(np.float32), (w + extra, h), interpolation=cv2.INTER_CUBIC)
    return np.clip(big + np.array(base, np.float32), 0, 255).astype(np.uint8)


def plate(image: np.ndarray) -> np.ndarray:
    """A lower third (a band with a name) and a logo, both opaque and still."""
    w, h = SIZE
    cv2.rectangle(image, (0, h - 190), (w, h - 40), (20, 40, 110), -1)
    cv2.putText(image, "Maria Lopez - city council", (60, h - 95), cv2.FONT_HERSHEY_SIMPLEX, 1.6,
                (255, 255, 255), 4, cv2.LINE_AA)
    cv2.rectangle(image, (w - 260, 30), (w - 40, 130), (230, 230, 230), -1)
    cv2.putText(image, "TV 9", (w - 225, 105), cv2.FONT_HERSHEY_SIMPLEX, 2.0, (200, 20, 20), 6, cv2.LINE_AA)
    return image


def slide(image: np.ndarray) -> np.ndarray:
    """The picture shown in a window (a third of the frame) of a still slide."""
    frame = np.full_like(image, 225)
    x, y, ww, wh = 60, 150, 720, 405
    frame[y:y + wh, x:x + ww] = cv2.resize(image, (ww, wh), interpolation=cv2.INTER_AREA)
    cv2.putText(frame, "Quarterly review", (60, 100), cv2.FONT_HERSHEY_SIMPLEX, 2.0, (30, 30, 30), 5, cv2.LINE_AA)
    for i, line in enumerate(("Sales up 4 %", "New office", "Hiring plan")):
        cv2.putText(frame, line, (820, 220 + 80 * i), cv2.FONT_HERSHEY_SIMPLEX, 1.2, (40, 40, 40), 3, cv2.LINE_AA)
    return frame


def letterbox(image: np.ndarray) -> np.ndarray:
    """2.39:1 in a 16:9 frame (black bars above and below) and a caption band in the lower bar."""
    w, h = SIZE
    bar = (h - round(w / 2.39)) // 2
    image[:bar] = 0
    image[h - bar:] = 0
    cv2.putText(image, "Subtitles: we will be there soon", (200, h - 30), cv2.FONT_HERSHEY_SIMPLEX, 1.4,
                (255, 255, 255), 3, cv2.LINE_AA)
    return image


def _none(image: np.ndarray) -> np.ndarray:
    return image


CUT_CASES: dict[str, Overlay] = {"plate": plate, "slide": slide, "letterbox": letterbox, "similar": _none}


def _shot_frames(background: np.ndarray, n: int, speed: float, light: tuple[float, float],
                 overlay: Overlay) -> Iterator[np.ndarray]:
    """``n`` frames panning over ``background`` at ``speed`` px/frame, the light going from
    ``light[0]`` to ``light[1]`` (1: as shot)."""
    span = background.shape[1] - SIZE[0]
    for k in range(n):
        x = int(k * speed) % max(span, 1)
        gain = light[0] + (light[1] - light[0]) * k / max(n - 1, 1)
        image = background[:, x:x + SIZE[0]].astype(np.float32) * gain
        yield overlay(np.ascontiguousarray(np.clip(image, 0, 255).astype(np.uint8)))


def _cut_case(name: str, index: int, overlay: Overlay, rng: np.random.Generator) -> tuple[Case, Iterator[np.ndarray]]:
    per_shot = round(SHOT_S * sv.FPS)
    case = Case(name, SHOTS * per_shot / sv.FPS, [round(s * per_shot * 1000 / sv.FPS) for s in range(1, SHOTS)])
    base = PALETTE[index % len(PALETTE)]

    def frames() -> Iterator[np.ndarray]:
        for s in range(SHOTS):
            background = similar_texture(rng, base)
            speed = (1.0, 3.0, 6.0)[s % 3]  # slow, medium, fast pans
            light = ((1.0, 1.0), (1.0, 0.8), (0.8, 1.0))[(s + index) % 3]  # the light fades a little
            yield from _shot_frames(background, per_shot, speed, light, overlay)

    return case, frames()


def _no_cut_cases(rng: np.random.Generator) -> list[tuple[Case, Iterator[np.ndarray]]]:
    from skimage import data

    cat = cv2.resize(data.chelsea(), (SIZE[0] + 300, SIZE[1]), interpolation=cv2.INTER_AREA)
    n = 10 * sv.FPS

    def pan() -> Iterator[np.ndarray]:
        yield from _shot_frames(cat, n, 1.2, (1.0, 1.0), plate)

    drift = similar_texture(rng, PALETTE[0], contrast=40, extra=8 * n + 100)  # no wrap-around: no cut

    def fade() -> Iterator[np.ndarray]:  # the light down to 35 % and back, while the texture drifts fast
        half = n // 2
        frames = list(_shot_frames(drift, n, 8.0, (1.0, 1.0), _none))
        for k, frame in enumerate(frames):
            gain = 1.0 - 0.65 * (k / half if k < half else (n - k) / half)
            yield plate((frame.astype(np.float32) * gain).astype(np.uint8))

    return [(Case("pan-no-cut", 10.0), pan()), (Case("fade-no-cut", 10.0), fade())]


def make(folder: Path, seed: int = 29) -> list[tuple[Case, Path]]:
    """Write every case's clip under ``folder``; returns each case and its file."""
    rng = np.random.default_rng(seed)
    cases = [_cut_case(name, i, overlay, rng) for i, (name, overlay) in enumerate(CUT_CASES.items())]
    made = []
    for case, frames in [*cases, *_no_cut_cases(rng)]:
        made.append((case, sv.write_video(folder / f"scenes-{case.name}.mp4", frames, options={"preset": "veryfast"})))
    return made
