"""Shot boundaries with PySceneDetect (no weights): ContentDetector, HashDetector and
an adaptive detector over the pixels that move (OverlayAdaptiveDetector) together, a
cut where any sees one.

OverlayAdaptiveDetector is for what real footage puts over its pictures: a lower
third, a logo, letterbox bars, a slide frame around the picture. Pixels that stay the
same across a cut dilute ContentDetector's mean change (a slide frame that covers two
thirds of the picture cuts it to a third) and dominate the hash's coarse shape, so
both missed 17 of 20 such cuts in make bench-quality's scene cases. It scores a frame
like ContentDetector over the pixels that do not stay the same from STATIC_WINDOW
frames before to STATIC_WINDOW frames after it, and calls a cut where that score is
``adaptive_threshold`` times the largest of its ADAPTIVE_WINDOW neighbours' on each
side and at least ``adaptive_min_change``: steady motion (pans, drifting texture) and
slow light changes raise the neighbours too. PySceneDetect's AdaptiveDetector divides
by the neighbours' mean instead; over a slow pan that moves a whole pixel only every
third frame (the frames between are the same) that mean is near zero, and it called
35 cuts in two such chapters of the bench; the largest neighbour is the pan's last
step, so a jerky pan, a flash (its own way back) or low-frame-rate footage repeated
is no cut. From 1.5 to 4 times and from 5 to 10 every case finds every cut and
invents none (docs/quality.md).

Each misses what the other finds (`make bench-quality`, 20 hard cuts and 3 fades):
ContentDetector (change in colour and edges) misses cuts between two dim, grey shots
and between two shots of much the same thing, 17/20 and 2/3 alone; HashDetector (a
perceptual hash of the frame's coarse shape) misses others, 17/20 and 3/3 at 0.35.
Together: 20/20 and 3/3, none invented, and none on a minute of panning, moving
footage without a cut. The hash threshold finds them all from 0.3 to 0.45 (0.5
misses two); 0.4 is the default.

The hash runs as ShapeDetector: PySceneDetect's HashDetector hashes a frame with no
coarse shape (a solid colour, a fine pattern) from noise, and reported a cut in the
middle of a still checkerboard where the encoder's keyframe changed that noise.

A segment ``[start, end)`` reports the scenes that start in it (at a cut, or at the
video's start) and the part in it of the scene under way at ``start`` (an item that
``continues``), all cut at ``end``; ``reelscan_shared.combine.scenes`` joins them.
The detector starts PREROLL_SCENES minimum scene lengths before ``start``:
ContentDetector compares each frame with the one before, and suppresses a cut
within ``min_scene_len`` of where it started or of the previous cut, so a cut at
``start`` is judged as it would be in one pass over the whole video. It decodes a
few frames past ``end`` for the same reason. A cut belongs to the segment whose
frame range holds its frame, the ranges computed the same way on both sides of a
boundary, so no cut is found twice or lost.
"""

from __future__ import annotations

import math
from importlib.metadata import version
from pathlib import Path
from typing import Any

# Imported with the service, not in a decode thread while a model loads in another
# (concurrent first imports of shared dependencies are not safe).
import cv2
import numpy as np
from scenedetect import ContentDetector, FrameTimecode, HashDetector, SceneDetector, SceneManager
from scenedetect.backends.pyav import VideoStreamAv

from reelscan_ml import frames
from reelscan_ml.analyzers.base import AnalyzerOutput
from reelscan_ml.pipeline import InferenceContext
from reelscan_shared.schemas.configs import ScenesConfig

PREROLL_SCENES = 2
STATIC_WINDOW = 12  # frames each side over which an overlay pixel stays the same
ADAPTIVE_WINDOW = 6  # neighbours each side whose largest change a cut must exceed ``adaptive_threshold`` times
STATIC_LEVEL = 8  # of 255 in every HSV channel, frame to frame: a pixel that changes less stays the same
MAX_STATIC = 0.8  # a frame is scored over at least this share of its pixels (a still shot is not all overlay)
ADAPTIVE_DELAY = STATIC_WINDOW + ADAPTIVE_WINDOW  # frames the adaptive detector decides behind the decoder
PAST_END_FRAMES = ADAPTIVE_DELAY + 2
BLACK = 16  # a frame no brighter than this (of 255) is black: the hash of nothing, steady
SHAPELESS = 0.5  # a frame with more than this share of its hash bits at the median has no shape


class ShapeDetector(HashDetector):  # type: ignore[misc]  # scenedetect ships no types
    """HashDetector that hashes only frames with a coarse shape.

    A hash bit says whether one low-frequency coefficient of the frame is above their
    median; where most coefficients sit at the median (within 0.1 % of the DC
    coefficient, the frame's mean brightness), the bits are noise. Such a frame is
    skipped: the next frame with a shape is compared with the last one. A black frame
    hashes to all zeros, so a fade through black is a change of shape.
    """

    def __init__(self, threshold: float, min_scene_len: int) -> None:
        super().__init__(threshold=threshold, min_scene_len=min_scene_len)
        self._last_scene_cut: FrameTimecode | None = None
        self._shape: np.ndarray | None = None  # the hash of the last frame that had one

    def process_frame(self, timecode: FrameTimecode, frame_img: np.ndarray) -> list[FrameTimecode]:
        if self._last_scene_cut is None:
            self._last_scene_cut = timecode
        shape = frame_shape(frame_img, self._size, self._factor)
        if shape is None:
            return []
        cuts = []
        changed = self._shape is not None and np.count_nonzero(shape != self._shape) / self._size_sq >= self._threshold
        if changed and timecode - self._last_scene_cut >= self._min_scene_len:
            cuts.append(timecode)
            self._last_scene_cut = timecode
        self._shape = shape
        return cuts


class OverlayAdaptiveDetector(SceneDetector):  # type: ignore[misc]  # scenedetect ships no types
    """A cut where the change over the pixels that move is ``threshold`` times the largest
    of its neighbours' and at least ``min_change`` (see the module's docstring).

    A frame's change is ContentDetector's (the mean of the hue, saturation and value
    differences to the frame before), over the pixels whose every channel changes less
    than STATIC_LEVEL from each frame to the next in the 2 STATIC_WINDOW + 1 frames
    around it left out when ``mask_static``. A frame is decided ADAPTIVE_DELAY frames
    after it is decoded; the first and last ADAPTIVE_DELAY frames of a video are left
    to the other detectors.
    """

    def __init__(self, threshold: float, min_change: float, min_scene_len: int, mask_static: bool = True) -> None:
        super().__init__()
        self._threshold, self._min_change, self._min_len, self._mask = threshold, min_change, min_scene_len, mask_static
        self._previous: np.ndarray | None = None
        # per frame of the window: timecode, pixels that changed, change summed over the channels
        self._changes: list[tuple[FrameTimecode, np.ndarray, np.ndarray]] = []
        self._changed_in_window: np.ndarray | None = None  # per pixel: frames of the window it changed in
        self._scores: list[tuple[FrameTimecode, float]] = []
        self._last_cut: FrameTimecode | None = None

    @property
    def event_buffer_length(self) -> int:
        return ADAPTIVE_DELAY

    def process_frame(self, timecode: FrameTimecode, frame_img: np.ndarray) -> list[FrameTimecode]:
        hsv = cv2.cvtColor(frame_img, cv2.COLOR_BGR2HSV)
        previous, self._previous = self._previous, hsv
        if self._last_cut is None:
            self._last_cut = timecode
        if previous is None:
            return []
        hue, sat, lum = cv2.split(cv2.absdiff(hsv, previous))  # per plane: numpy's axis reductions are slow
        changed = (cv2.max(cv2.max(hue, sat), lum) >= STATIC_LEVEL).astype(np.uint8)
        if self._changed_in_window is None:
            self._changed_in_window = np.zeros(changed.shape, np.uint8)
        self._changed_in_window += changed
        if len(self._changes) == 2 * STATIC_WINDOW + 1:  # the oldest frame leaves the window
            self._changed_in_window -= self._changes.pop(0)[1]
        self._changes.append((timecode, changed, hue.astype(np.uint16) + sat + lum))
        if len(self._changes) < 2 * STATIC_WINDOW + 1:
            return []
        self._scores = [*self._scores[-2 * ADAPTIVE_WINDOW:], (self._changes[STATIC_WINDOW][0], self._moving_change())]
        if len(self._scores) < 2 * ADAPTIVE_WINDOW + 1:
            return []
        at, score = self._scores[ADAPTIVE_WINDOW]
        around = max(s for i, (_, s) in enumerate(self._scores) if i != ADAPTIVE_WINDOW)
        if score >= self._min_change and score >= self._threshold * around and at - self._last_cut >= self._min_len:
            self._last_cut = at
            return [at]
        return []

    def _moving_change(self) -> float:
        """The middle frame's change over the pixels that do not stay the same around it."""
        _, _, total = self._changes[STATIC_WINDOW]
        if not self._mask:
            return float(total.mean()) / 3
        assert self._changed_in_window is not None
        moving = self._changed_in_window > 0
        pixels = max(float(np.count_nonzero(moving)), (1 - MAX_STATIC) * moving.size)
        return float(total[moving].sum()) / 3 / pixels


def frame_shape(frame_bgr: np.ndarray, size: int, factor: int) -> np.ndarray | None:
    """The frame's perceptual hash (size x size bits, as HashDetector computes it), all
    zeros for a black frame, None for a frame with no coarse shape."""
    gray = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2GRAY)
    small = cv2.resize(gray, (size * factor, size * factor), interpolation=cv2.INTER_AREA).astype(np.float32)
    peak = float(small.max())
    if peak <= BLACK:
        return np.zeros((size, size), bool)
    low = cv2.dct(small / peak)[:size, :size]
    median = float(np.median(low))
    if np.mean(np.abs(low - median) < 1e-3 * abs(float(low[0, 0]))) > SHAPELESS:
        return None
    return low > median


async def run_scenes(ctx: InferenceContext, path: Path, cfg: ScenesConfig) -> AnalyzerOutput:
    # No model and no GPU: a CPU pass over every frame, on the decode pool, outside the gate.
    return await ctx.in_thread(detect_scenes, path, cfg, ctx.start_ms, ctx.end_ms)


def first_frame_at(ms: int, fps: float) -> int:
    """The first frame at or after ``ms``: both segments that meet at ``ms`` agree on it."""
    return math.ceil(ms * fps / 1000 - 1e-6)


def detect_scenes(path: Path, cfg: ScenesConfig, start_ms: int = 0, end_ms: int | None = None) -> AnalyzerOutput:
    duration = frames.duration_ms(path)  # raises VideoUnreadable for a file PyAV cannot open
    try:
        # Not scenedetect.open_video: its PyAV backend calls av.logging.restore_default_callback()
        # unless told otherwise, which makes FFmpeg print raw text to stderr from then on, for
        # the whole process, in the middle of our JSON log lines. It would also fall back to
        # OpenCV's own FFmpeg, which prints the same way.
        video = VideoStreamAv(str(path), suppress_output=True)
        fps = float(video.frame_rate)
        min_len = max(1, round(cfg.min_scene_len_s * fps))
        first = first_frame_at(start_ms, fps)
        last = None if end_ms is None else first_frame_at(end_ms, fps)  # exclusive
        if first > 0:  # enough frames before for every detector to judge ``first`` as in one pass
            video.seek(max(0, first - max(PREROLL_SCENES * min_len, ADAPTIVE_DELAY + min_len) - 2))
        manager = SceneManager()
        manager.add_detector(ContentDetector(threshold=cfg.threshold, min_scene_len=min_len))
        if cfg.hash_threshold > 0:
            manager.add_detector(ShapeDetector(threshold=cfg.hash_threshold, min_scene_len=min_len))
        if cfg.adaptive_threshold > 0:
            manager.add_detector(OverlayAdaptiveDetector(cfg.adaptive_threshold, cfg.adaptive_min_change, min_len,
                                                         cfg.mask_static))
        manager.detect_scenes(video, end_time=None if last is None else FrameTimecode(last + PAST_END_FRAMES, fps))
        scenes = at_least(manager.get_scene_list(start_in_scene=True), min_len)
    except Exception as exc:  # PySceneDetect wraps decoder errors in several types
        raise frames.VideoUnreadable(f"cannot detect scenes in {path.name}: {exc}") from exc
    items = scene_items(in_segment(scenes, first, last, fps))
    if first > 0 and items and items[0]["payload"]["start_frame"] == first and not any(
            start.get_frames() == first for start, _ in scenes):
        items[0]["continues"] = True  # no cut at the segment's start: the scene under way goes on
    return AnalyzerOutput(items=items, duration_ms=duration, producer="reelscan-ml/scenes",
                          library="scenedetect", library_version=version("scenedetect"),
                          model_profile=model_profile(cfg))


def model_profile(cfg: ScenesConfig) -> str:
    profile = f"pyscenedetect-content-threshold-{cfg.threshold:g}"
    if cfg.hash_threshold > 0:
        profile += f"+hash-{cfg.hash_threshold:g}"
    if cfg.adaptive_threshold > 0:
        masked = "-masked" if cfg.mask_static else ""
        profile += f"+adaptive-{cfg.adaptive_threshold:g}-min-{cfg.adaptive_min_change:g}{masked}"
    return profile


def at_least(scenes: list[tuple[FrameTimecode, FrameTimecode]],
             min_len: int) -> list[tuple[FrameTimecode, FrameTimecode]]:
    """The scenes with no cut closer than ``min_len`` frames to the one before, as each
    detector keeps its own cuts: two detectors can find one change a frame apart (at a
    fade, the shape turns black a frame before the colour crosses its threshold)."""
    kept: list[tuple[FrameTimecode, FrameTimecode]] = []
    for start, end in scenes:
        if kept and start.get_frames() - kept[-1][0].get_frames() < min_len:
            kept[-1] = (kept[-1][0], end)
        else:
            kept.append((start, end))
    return kept


def in_segment(scenes: list[tuple[FrameTimecode, FrameTimecode]], first: int, last: int | None,
               fps: float) -> list[tuple[FrameTimecode, FrameTimecode]]:
    """The scenes' parts in frames ``[first, last)``."""
    start_at, end_at = FrameTimecode(first, fps), None if last is None else FrameTimecode(last, fps)
    return [(max(start, start_at), end if end_at is None else min(end, end_at)) for start, end in scenes
            if end > start_at and (end_at is None or start < end_at)]


def scene_items(scenes: list[tuple[FrameTimecode, FrameTimecode]]) -> list[dict[str, Any]]:
    """One item per scene PySceneDetect reports; its end is exclusive (the next scene's
    first frame), a payload's ``end_frame`` is the scene's last frame. A scene too short
    to last a millisecond is dropped."""
    items = []
    for index, (start, end) in enumerate(scenes):
        start_ms, end_ms = round(start.get_seconds() * 1000), round(end.get_seconds() * 1000)
        if end_ms <= start_ms:
            continue
        items.append({"span_start_ms": start_ms, "span_end_ms": end_ms, "payload": {
            "scene_index": index, "start_ms": start_ms, "end_ms": end_ms,
            "start_frame": start.get_frames(), "end_frame": max(end.get_frames() - 1, start.get_frames())}})
    return items
