"""Speech transcription of the audio track: decoded to 16 kHz mono outside the
gate, transcribed under it."""

from __future__ import annotations

from pathlib import Path

from reelscan_ml import frames
from reelscan_ml.analyzers.base import Analyzer, AnalyzerOutput, register
from reelscan_ml.analyzers.configs import TranscribeConfig
from reelscan_ml.pipeline import InferenceContext


async def run_transcribe(ctx: InferenceContext, path: Path, cfg: TranscribeConfig) -> AnalyzerOutput:
    async with ctx.use_model() as model:
        duration = await ctx.in_thread(frames.duration_ms, path)  # raises VideoUnreadable for a non-video
        audio = await ctx.in_thread(frames.decode_audio, path, ctx.cancel)
        items = []
        if audio.size:  # a silent video has an empty transcript, not an error
            [(segments, language)] = await ctx.model_call(model, [audio], cfg, cancel=ctx.cancel)
            items = [{"span_start_ms": s["start_ms"], "span_end_ms": max(s["end_ms"], s["start_ms"]),
                      "payload": {**s, "end_ms": max(s["end_ms"], s["start_ms"]), "language": language}}
                     for s in segments]
        return AnalyzerOutput(items=items, duration_ms=duration, producer="reelscan-ml/transcribe",
                              library=model.library, library_version=model.library_version,
                              model_profile=model.profile)


register(Analyzer("transcribe", "transcript_segment", TranscribeConfig, run_transcribe))
