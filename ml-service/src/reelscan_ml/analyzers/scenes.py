"""Shot boundaries with PySceneDetect's ContentDetector (no weights)."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path
from typing import Any

# Imported with the service, not in a decode thread while a model loads in another
# (concurrent first imports of shared dependencies are not safe).
from scenedetect import ContentDetector, FrameTimecode, SceneManager
from scenedetect.backends.pyav import VideoStreamAv

from reelscan_ml import frames
from reelscan_ml.analyzers.base import AnalyzerOutput
from reelscan_ml.pipeline import InferenceContext
from reelscan_shared.schemas.configs import ScenesConfig


async def run_scenes(ctx: InferenceContext, path: Path, cfg: ScenesConfig) -> AnalyzerOutput:
    # No model and no GPU: a CPU pass over every frame, on the decode pool, outside the gate.
    return await ctx.in_thread(detect_scenes, path, cfg)


def detect_scenes(path: Path, cfg: ScenesConfig) -> AnalyzerOutput:
    duration = frames.duration_ms(path)  # raises VideoUnreadable for a file PyAV cannot open
    try:
        # Not scenedetect.open_video: its PyAV backend calls av.logging.restore_default_callback()
        # unless told otherwise, which makes FFmpeg print raw text to stderr from then on, for
        # the whole process, in the middle of our JSON log lines. It would also fall back to
        # OpenCV's own FFmpeg, which prints the same way.
        video = VideoStreamAv(str(path), suppress_output=True)
        fps = float(video.frame_rate)
        manager = SceneManager()
        manager.add_detector(ContentDetector(threshold=cfg.threshold,
                                             min_scene_len=max(1, round(cfg.min_scene_len_s * fps))))
        manager.detect_scenes(video)
        scenes = manager.get_scene_list(start_in_scene=True)
    except Exception as exc:  # PySceneDetect wraps decoder errors in several types
        raise frames.VideoUnreadable(f"cannot detect scenes in {path.name}: {exc}") from exc
    items = scene_items(scenes)
    return AnalyzerOutput(items=items, duration_ms=duration, producer="reelscan-ml/scenes", library="scenedetect",
                          library_version=version("scenedetect"),
                          model_profile=f"pyscenedetect-content-threshold-{cfg.threshold:g}")



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
