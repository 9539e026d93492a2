from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any


class Model(ABC):
    """A lazily loaded model. ``profile`` names the exact weights in use and is
    stamped on every artifact: an untrained network says so in its profile."""

    name: str = "model"
    library: str = "unknown"

    def __init__(self, cache_dir: Path, device: str) -> None:
        self.cache_dir = cache_dir
        self.device = device
        self.profile = "not-loaded"
        self.trained = False
        self.library_version = "unknown"
        self.status = "not_loaded"  # not_loaded | loading | ready | error
        self.error: str | None = None
        self._lock = threading.Lock()
        # For libraries whose predict() is not thread-safe (ultralytics sets its
        # predictor up lazily on first use): calls on this model run one at a time.
        self.predict_lock = threading.Lock()

    def load(self) -> None:
        """Idempotent and thread-safe; re-raises the load error on every call."""
        with self._lock:
            if self.status == "ready":
                return
            self.status = "loading"
            try:
                self._load()
            except Exception as exc:
                self.status, self.error = "error", f"{type(exc).__name__}: {exc}"
                raise
            self.status, self.error = "ready", None

    @abstractmethod
    def _load(self) -> None: ...

    @abstractmethod
    def predict(self, *args: Any, **kwargs: Any) -> Any: ...

    def describe(self) -> dict[str, Any]:
        return {"status": self.status, "profile": self.profile, "trained": self.trained,
                "device": self.device, "error": self.error}

    def cached(self, *names: str) -> Path | None:
        """First of ``names`` present in MODEL_CACHE_DIR (standard weights, where an operator put them)."""
        for name in names:
            candidate = self.cache_dir / name
            if candidate.exists():
                return candidate
        return None
