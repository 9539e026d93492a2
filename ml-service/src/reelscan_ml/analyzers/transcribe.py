"""Speech transcription of the audio track."""

from __future__ import annotations

from pathlib import Path

import av

from reelscan_ml import frames
from reelscan_ml.analyzers.base import Analyzer, AnalyzerOutput, register
from reelscan_ml.analyzers.configs import TranscribeConfig
from reelscan_ml.models.registry import ModelRegistry
from reelscan_ml.models.whisper import WhisperTranscriber


def _has_audio(path: Path) -> bool:
    try:
        with av.open(str(path)) as container:
            return bool(container.streams.audio)
    except (av.FFmpegError, OSError, UnicodeDecodeError) as exc:
        raise frames.VideoUnreadable(f"cannot open {path.name} as a video: {exc}") from exc


def run_transcribe(path: Path, cfg: TranscribeConfig, registry: ModelRegistry) -> AnalyzerOutput:
    model = registry.get(WhisperTranscriber)
    items = []
    if _has_audio(path):  # a silent video has an empty transcript, not an error
        try:
            segments, language = model.predict(str(path), cfg.language)
        except (av.FFmpegError, ValueError) as exc:
            raise frames.VideoUnreadable(f"cannot decode the audio of {path.name}: {exc}") from exc
        items = [{"span_start_ms": s["start_ms"], "span_end_ms": max(s["end_ms"], s["start_ms"]),
                  "payload": {**s, "end_ms": max(s["end_ms"], s["start_ms"]), "language": language}}
                 for s in segments]
    return AnalyzerOutput(items=items, duration_ms=frames.duration_ms(path), producer="reelscan-ml/transcribe",
                          library=model.library, library_version=model.library_version,
                          model_profile=model.profile)


register(Analyzer("transcribe", "transcript_segment", TranscribeConfig, run_transcribe))
