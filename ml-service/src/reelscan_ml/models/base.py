"""One model behind a small interface: ``load()`` (lazy, once), ``predict_batch()``,
``unload()``; plus what operators need to know about it (state, weights, device).

States: not_loaded → loading → ready | failed; ready → not_loaded after
MODEL_TTL idle seconds (``unload``). A failed load is retried on the next use.
"""

from __future__ import annotations

import contextlib
import gc
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from reelscan_ml.models.profiles import ModelProfile
from reelscan_shared.logging import get_logger

log = get_logger(__name__)
Progress = Callable[[str, int, int | None], None]


@dataclass(frozen=True)
class WeightsLocation:
    weights: str  # trained | untrained | missing
    source: str  # cache | package | architecture | none
    path: Path | None = None


# One model loads at a time, process-wide: loading imports big packages (torchvision,
# ultralytics, easyocr) and two threads importing them at once fail with "cannot import
# name ... partially initialized module". Loads are rare; waiting for one costs little.
_LOADING = threading.Lock()


class ModelNotAvailable(RuntimeError):
    """The profile's weights are not here and it has no offline fallback."""


class InvalidModelOutput(RuntimeError):
    """The model computed scores that are not numbers (NaN or infinite): its weights are
    broken (a corrupt or diverged checkpoint). The request fails with this message; the
    service and the model stay up for the next request."""


class Model(ABC):
    library = "unknown"
    pixel_format = "rgb24"  # how predict_batch wants its frames

    def __init__(self, spec: ModelProfile, cache_dir: Path, device: str, batch_size: int = 0) -> None:
        self.spec = spec
        self.cache_dir = cache_dir
        self.device = device
        self.batch_size = batch_size or spec.default_batch_size(device)
        self.library_version = "unknown"
        self.profile = spec.name  # stamped on artifacts; says "untrained" when it is
        self.state = "not_loaded"
        self.error: str | None = None
        self.load_seconds: float | None = None
        self.last_used = time.monotonic()
        self.users = 0
        self.where = self.locate()
        self._lock = threading.Lock()
        # For libraries whose predict is not thread-safe (ultralytics sets its
        # predictor up lazily on first use): calls on this model run one at a time.
        self.predict_lock = threading.Lock()

    # -- weights ------------------------------------------------------------
    def locate(self) -> WeightsLocation:
        """Where trained weights come from, without loading anything (cheap)."""
        files = [self.cache_dir / f.relpath for f in self.spec.files]
        if files and all(p.exists() for p in files):
            return WeightsLocation("trained", "cache", files[0])
        packaged = self.packaged_weights()
        if packaged is not None:
            return WeightsLocation("trained", "package", packaged)
        if self.spec.untrained_fallback:
            return WeightsLocation("untrained", "architecture")
        return WeightsLocation("missing", "none")

    def packaged_weights(self) -> Path | None:
        """Trained weights shipped in an installed package, if the backend has any."""
        return None

    def sources(self, mirror: str | None) -> list[str]:
        """Where ``pull`` fetches the weights from (MODEL_MIRROR_URL applied)."""
        from reelscan_ml.models import weights

        return [weights.mirrored(f.url, mirror) for f in self.spec.files]

    def pull(self, mirror: str | None, progress: Progress | None = None) -> list[str]:
        """Fetch the standard weights into MODEL_CACHE_DIR; returns the files written.
        ``progress(file name, bytes done, total or None)``; by default a line on stderr."""
        from reelscan_ml.models import weights

        written = []
        for f in self.spec.files:
            url = weights.mirrored(f.url, mirror)
            weights.download(url, self.cache_dir / f.relpath, f.sha256, progress or weights.print_progress)
            weights.record(self.cache_dir, f.relpath, url)
            written.append(f.relpath)
        return written

    # -- lifecycle ----------------------------------------------------------
    def load(self) -> None:
        """Idempotent and thread-safe; raises the load error (and keeps it for /health)."""
        with self._lock:
            if self.state == "ready":
                return
            self.state, started = "loading", time.monotonic()
            try:
                self.where = where = self.locate()
                if where.weights == "missing":
                    raise ModelNotAvailable(
                        f"no weights for {self.spec.analysis} model {self.spec.name!r}: expected "
                        f"{', '.join(str(self.cache_dir / f.relpath) for f in self.spec.files)}; "
                        "run `reelscan-ml models pull` on a connected machine"
                    )
                with _LOADING:
                    self._load(where)
            except Exception as exc:
                self.state, self.error = "failed", f"{type(exc).__name__}: {exc}"
                log.error("model_load_failed", analysis=self.spec.analysis, profile=self.spec.name, error=self.error)
                raise
            self.load_seconds = round(time.monotonic() - started, 3)
            self.state, self.error, self.last_used = "ready", None, time.monotonic()
        log.info(
            "model_loaded",
            analysis=self.spec.analysis,
            profile=self.profile,
            device=self.device,
            weights=where.weights,
            source=where.source,
            seconds=self.load_seconds,
        )

    def unload(self) -> bool:
        """Drop the weights if nobody is using the model; True if it was unloaded."""
        with self._lock:
            if self.state != "ready" or self.users:
                return False
            self._unload()
            self.state = "not_loaded"
        gc.collect()
        if self.device == "cuda":
            import torch

            torch.cuda.empty_cache()
        log.info("model_unloaded", analysis=self.spec.analysis, profile=self.profile)
        return True

    @contextlib.contextmanager
    def in_use(self) -> Iterator[Model]:
        """Keep the model from being unloaded (MODEL_TTL) while a request uses it; the
        caller loads it (off the event loop)."""
        with self._lock:
            self.users += 1
        try:
            yield self
        finally:
            with self._lock:
                self.users -= 1
                self.last_used = time.monotonic()

    @abstractmethod
    def _load(self, where: WeightsLocation) -> None: ...

    @abstractmethod
    def _unload(self) -> None: ...

    @abstractmethod
    def predict_batch(self, inputs: list[Any], cfg: Any) -> list[Any]:
        """One result per input; blocking: runs in an inference thread under the GPU gate."""

    def dummy_input(self) -> Any:
        """What ``models verify`` feeds the model once: a blank 640x360 frame by default."""
        return np.zeros((360, 640, 3), np.uint8)

    def describe(self) -> dict[str, Any]:
        where = self.where  # as of start-up or the last load: /health must not touch the disk
        return {
            "analysis": self.spec.analysis,
            "profile": self.spec.name,
            "model_profile": self.profile,
            "state": self.state,
            "error": self.error,
            "weights": where.weights,
            "source": where.source,
            "path": str(where.path) if where.path else None,
            "device": self.device,
            "batch_size": self.batch_size,
            "load_seconds": self.load_seconds,
            "idle_s": round(time.monotonic() - self.last_used, 1) if self.state == "ready" else None,
        }
