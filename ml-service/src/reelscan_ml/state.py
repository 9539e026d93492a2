"""What the ML service holds while it runs: settings, device, the GPU gate, the
decode pool and the model registry (``app.state.ml``)."""

from __future__ import annotations

import contextlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from reelscan_ml.gate import GpuGate
from reelscan_ml.models.registry import ModelRegistry
from reelscan_ml.settings import MLSettings
from reelscan_shared.domain.tasks import TaskType

if TYPE_CHECKING:
    from reelscan_ml.autofetch import Fetch

DECODE_NICENESS = 10


def lower_thread_priority() -> None:
    """Raise this thread's nice value (Linux schedules threads individually)."""
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), DECODE_NICENESS)


class MLState:
    def __init__(self, settings: MLSettings, dev: str) -> None:
        self.settings = settings
        self.device = dev
        self.gate = GpuGate(settings.gpu_concurrency, settings.ml_max_waiting)
        # Decoding, hashing and scene detection: bounded by the cores, apart from the model
        # threads, and at a lower CPU priority so that where they compete for cores (a
        # CPU-only host) the model wins and decoding fills the gaps between its steps.
        self.decode_pool = ThreadPoolExecutor(max(2, os.cpu_count() or 2), thread_name_prefix="decode",
                                              initializer=lower_thread_priority)
        self.registry = ModelRegistry(settings.profiles(), settings.model_cache_dir.expanduser().resolve(), dev,
                                      settings.ml_batch_size)
        self.roots = settings.video_roots
        self.fetches: dict[TaskType, Fetch] = {}  # MODEL_AUTO_PULL's fetches at start-up (autofetch.py)

    def close(self) -> None:
        self.gate.shutdown()
        self.decode_pool.shutdown(wait=False, cancel_futures=True)
