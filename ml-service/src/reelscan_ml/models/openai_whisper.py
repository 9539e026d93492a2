"""Speech transcription with openai-whisper (OpenAI's PyTorch Whisper), the second engine
(TRANSCRIBE_ENGINE=openai-whisper).

Weights: OpenAI's checkpoints, ``openai-whisper/<size>.pt`` in MODEL_CACHE_DIR,
fetched by ``models pull`` from OpenAI's published URLs and checked against the
SHA-256 those URLs carry. Nothing ships them offline, so without ``models pull``
the engine fails to load and says so.

The checkpoint is hashed when it first loads. A file that is not OpenAI's (a fine-tune,
or the untrained checkpoint the tests build) still loads, and its artifacts say so:
``model_profile`` ends in ``-unverified-sha256-<first 12 hex digits>``.

The decoding choices match the faster-whisper engine's (greedy, not conditioned on
the text before, Whisper's temperature fallback), so the two compare on one footing.

The fallback samples tokens at temperatures above 0 from torch's global random
generator, so each call decodes under a fixed seed (in a forked generator state):
the same audio gives the same transcript whatever ran before it in the process.
Scores that are NaN (broken weights) fail that request with InvalidModelOutput.
"""

from __future__ import annotations

import functools
import re
import threading
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

from reelscan_ml.models.base import InvalidModelOutput, WeightsLocation
from reelscan_ml.models.whisper import SpeechModel, segment
from reelscan_shared.files import sha256_of
from reelscan_shared.logging import get_logger

log = get_logger(__name__)


DECODE_SEED = 0


class _Cancelled(Exception):
    pass


def _invalid_scores(exc: Exception) -> bool:
    """torch.distributions.Categorical refuses NaN logits with a ValueError naming
    "invalid values"; torch.multinomial says "probability tensor contains either inf, nan"."""
    text = str(exc)
    return "invalid values" in text or re.search(r"\bnan\b", text, re.IGNORECASE) is not None


@functools.cache
def _checkpoint_sha256(path: Path, size: int, mtime_ns: int) -> str:  # noqa: ARG001 - the file's version
    """Hashed once per version of the file: a reload after MODEL_TTL does not read
    large-v3's 3 GB again."""
    return sha256_of(path)


class OpenAIWhisper(SpeechModel):
    library = "openai-whisper"

    def _load(self, where: WeightsLocation) -> None:
        import whisper

        assert where.path is not None
        stat = where.path.stat()
        digest = _checkpoint_sha256(where.path, stat.st_size, stat.st_mtime_ns)
        self.library_version = version("openai-whisper")
        model = whisper.load_model(str(where.path), device=self.device)
        precision = "fp16" if self.device == "cuda" else "fp32"
        self.profile = f"openai-whisper-{self.spec.name}-{precision}"
        if digest != self.spec.files[0].sha256:
            self.profile += f"-unverified-sha256-{digest[:12]}"
            log.warning(
                "whisper_checkpoint_unverified",
                path=str(where.path),
                sha256=digest,
                published=self.spec.files[0].sha256,
            )
        # whisper.transcribe() runs to the end of its audio; it calls model.decode once
        # per 30 s window (and per fallback temperature), so a cancelled request is
        # noticed there. The event is per thread: calls take turns (predict_lock) but
        # the wrapper must not see another request's event.
        self._calls = threading.local()
        decode = model.decode

        def decode_unless_cancelled(*args: Any, **kwargs: Any) -> Any:
            cancel = getattr(self._calls, "cancel", None)
            if cancel is not None and cancel.is_set():
                raise _Cancelled
            return decode(*args, **kwargs)

        model.decode = decode_unless_cancelled
        self._model = model

    def _unload(self) -> None:
        del self._model

    def _transcribe(
        self, audio: np.ndarray, language: str | None, cancel: threading.Event | None
    ) -> tuple[list[dict[str, Any]], str]:
        import torch

        # One call at a time: decoding installs key-value cache hooks on the shared
        # model's layers, which two concurrent calls would both fill.
        with self.predict_lock, torch.random.fork_rng(devices=[]):
            torch.manual_seed(DECODE_SEED)
            self._calls.cancel = cancel
            try:
                result = self._model.transcribe(
                    audio, language=language, condition_on_previous_text=False, fp16=self.device == "cuda", verbose=None
                )
            except _Cancelled:
                return [], language or "unknown"
            except (ValueError, RuntimeError) as exc:
                if not _invalid_scores(exc):
                    raise
                raise InvalidModelOutput(
                    f"the transcription model ({self.profile}) produced invalid scores (NaN): its checkpoint "
                    f"{self.spec.name} is corrupt or untrained; replace it (reelscan-ml models pull transcription)"
                ) from exc
            finally:
                self._calls.cancel = None
        out = [
            segment(s["text"], s["start"], s["end"], s["avg_logprob"], s["no_speech_prob"])
            for s in result["segments"]
            if s["text"].strip()
        ]
        return out, str(result["language"])
