"""Speech transcription of the audio track: decoded to 16 kHz mono outside the
gate, transcribed under it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reelscan_ml import frames
from reelscan_ml.analyzers.base import AnalyzerOutput
from reelscan_ml.pipeline import InferenceContext
from reelscan_shared.schemas.configs import TranscriptionConfig


def transcript_items(segments: list[dict[str, Any]], language: str) -> list[dict[str, Any]]:
    """One item per recognised segment; a segment the model ends before it starts
    (it happens at the very end of the audio) ends where it starts."""
    items = []
    for segment in segments:
        end_ms = max(segment["end_ms"], segment["start_ms"])
        items.append({"span_start_ms": segment["start_ms"], "span_end_ms": end_ms,
                      "payload": {**segment, "end_ms": end_ms, "language": language}})
    return items


async def run_transcribe(ctx: InferenceContext, path: Path, cfg: TranscriptionConfig) -> AnalyzerOutput:
    async with ctx.use_model() as model:
        duration = await ctx.in_thread(frames.duration_ms, path)  # raises VideoUnreadable for a non-video
        audio = await ctx.in_thread(frames.decode_audio, path, ctx.cancel)
        items = []
        if audio.size:  # a silent video has an empty transcript, not an error
            [(segments, language)] = await ctx.model_call(model, [audio], cfg, cancel=ctx.cancel)
            items = transcript_items(segments, language)
        return AnalyzerOutput(items=items, duration_ms=duration, producer="reelscan-ml/transcribe",
                              library=model.library, library_version=model.library_version,
                              model_profile=model.profile)
