"""The per-request inference pipeline: decode ahead on a decode thread while the
model runs on the previous batch under the GPU gate.

    decode thread:  [batch 1][batch 2]      [batch 3] ...
    gate (model):            [model 1]      [model 2]      [model 3]

The gate is held only around each model call; decoding, result shaping and
serialisation happen outside it. ``cancel`` (set when a request times out)
stops the decoder at its next frame and skips the remaining batches.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from concurrent.futures import Executor
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, TypeVar

from reelscan_ml import frames
from reelscan_ml.device import pin_torch_threads
from reelscan_ml.gate import GpuGate
from reelscan_ml.models.base import Model
from reelscan_ml.models.registry import ModelRegistry
from reelscan_shared.domain.tasks import TaskType
from reelscan_shared.metrics import INFERENCE_PHASE

T = TypeVar("T")


@dataclass
class InferenceContext:
    registry: ModelRegistry
    gate: GpuGate
    decode_pool: Executor
    analysis: TaskType
    start_ms: int = 0  # the segment of the video asked for: [start_ms, end_ms)
    end_ms: int | None = None  # None: to the end
    text_langs: tuple[str, ...] = ("en",)  # OCR_LANGS: the languages on-screen text is read in
    cancel: threading.Event = field(default_factory=threading.Event)
    timings: dict[str, float] = field(default_factory=lambda: {"decode": 0.0, "wait": 0.0, "model": 0.0})

    @contextlib.asynccontextmanager
    async def use_model(self) -> AsyncIterator[Model]:
        """This analysis's model, loaded (in a thread: loading takes seconds) and held."""
        model = self.registry[self.analysis]
        with model.in_use():
            if model.state != "ready":
                await asyncio.to_thread(model.load)
            yield model

    async def in_thread(self, fn: Callable[..., T], *args: Any) -> T:
        """Blocking non-model work (decoding, hashing, probing) on the decode pool."""
        return await asyncio.get_running_loop().run_in_executor(self.decode_pool, fn, *args)

    async def model_call(self, model: Model, inputs: list[Any], cfg: Any, **kwargs: Any) -> list[Any]:
        """One model execution under the gate, timed."""
        def call() -> tuple[list[Any], float, float]:
            pin_torch_threads()
            started = time.perf_counter()
            return model.predict_batch(inputs, cfg, **kwargs), started - queued, time.perf_counter() - started

        queued = time.perf_counter()
        result, waited, seconds = await self.gate.run(call)
        self.timings["model"] += seconds
        self.timings["wait"] += waited
        INFERENCE_PHASE.labels(self.analysis, "wait").observe(waited)
        INFERENCE_PHASE.labels(self.analysis, "model").observe(seconds)
        return result

    async def frame_batches(self, path: Path, interval_s: float, max_frames: int, batch_size: int,
                            pixel_format: str = "rgb24") -> AsyncIterator[list[frames.Frame]]:
        """Batches of sampled frames, the next one decoding while the caller uses this one."""
        sampled = frames.sample_frames(path, interval_s, max_frames, self.cancel, pixel_format,
                                       self.start_ms / 1000, None if self.end_ms is None else self.end_ms / 1000)
        batches = _batched(sampled, batch_size)
        pending = asyncio.ensure_future(self.in_thread(self._next_timed, batches))
        try:
            while (batch := await pending) is not None:
                pending = asyncio.ensure_future(self.in_thread(self._next_timed, batches))
                yield batch
        finally:
            self.cancel.set()  # a request that stops early (timeout, error) stops its decoder
            if pending.done():
                await self.in_thread(batches.close)
            else:  # close the generator after the in-flight step; never concurrently with it
                pending.add_done_callback(lambda _: self.decode_pool.submit(batches.close))

    def _next_timed(self, batches: Iterator[list[frames.Frame]]) -> list[frames.Frame] | None:
        started = time.perf_counter()
        batch = next(batches, None)
        seconds = time.perf_counter() - started
        self.timings["decode"] += seconds
        INFERENCE_PHASE.labels(self.analysis, "decode").observe(seconds)
        return batch


def _batched(items: Iterator[frames.Frame], size: int) -> Generator[list[frames.Frame], None, None]:
    try:
        while batch := list(islice(items, size)):
            yield batch
    finally:
        close = getattr(items, "close", None)
        if close is not None:
            close()
