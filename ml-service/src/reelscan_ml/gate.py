"""The GPU gate: admission control and the semaphore around model execution.

- At most GPU_CONCURRENCY model executions overlap. A slot is taken just before
  a model call and given back when the call's thread has actually finished, even
  if the request that started it was cancelled or timed out meanwhile: a
  cancelled await must never let a second execution start beside a running one.
- Model calls run on a dedicated pool with exactly GPU_CONCURRENCY threads, so
  the event loop (and /health) stays free and decode threads never queue
  behind inference.
- At most GPU_CONCURRENCY + ML_MAX_WAITING requests are admitted at once; the
  next is refused with Overloaded (503 + Retry-After), which the worker retries
  with backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import threading
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from reelscan_shared.metrics import GPU_SLOTS_IN_USE

T = TypeVar("T")


class Overloaded(Exception):
    def __init__(self, retry_after_s: int, in_flight: int) -> None:
        super().__init__(f"ML service busy: {in_flight} requests in flight; retry in {retry_after_s} s")
        self.retry_after_s = retry_after_s


class GpuGate:
    def __init__(self, concurrency: int, max_waiting: int = 8) -> None:
        self.concurrency = concurrency
        self.max_waiting = max_waiting
        self._sem = asyncio.Semaphore(concurrency)
        self._pool = ThreadPoolExecutor(concurrency, thread_name_prefix="inference")
        self.in_flight = 0  # admitted requests (decoding, waiting or running)
        self.in_use = 0  # slots held
        self.waiting = 0  # calls blocked on the semaphore
        self.peak_in_use = 0
        # Measured inside the inference threads: what really overlapped.
        self._executing = 0
        self.peak_executing = 0
        self._exec_lock = threading.Lock()
        self._mean_request_s = 5.0

    @contextlib.asynccontextmanager
    async def admit(self) -> AsyncIterator[None]:
        """Hold a request place for the whole request, or raise Overloaded."""
        if self.in_flight >= self.concurrency + self.max_waiting:
            raise Overloaded(self.retry_after_s(), self.in_flight)
        self.in_flight += 1
        started = time.monotonic()
        try:
            yield
        finally:
            self.in_flight -= 1
            self._mean_request_s = 0.8 * self._mean_request_s + 0.2 * (time.monotonic() - started)

    def retry_after_s(self) -> int:
        """Roughly when a place frees up: the queue ahead, at the recent request time."""
        ahead = max(self.in_flight - self.concurrency + 1, 1)
        return min(max(math.ceil(self._mean_request_s * ahead / self.concurrency), 1), 60)

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        """Run ``fn(*args)`` on an inference thread while holding a slot."""
        self.waiting += 1
        try:
            await self._sem.acquire()
        finally:
            self.waiting -= 1
        self._take()
        try:
            future = self._pool.submit(self._execute, fn, *args)
        except BaseException:
            self._give_back()
            raise
        loop = asyncio.get_running_loop()
        future.add_done_callback(lambda _: loop.call_soon_threadsafe(self._give_back))
        return await asyncio.wrap_future(future)

    def _execute(self, fn: Callable[..., T], *args: object) -> T:
        with self._exec_lock:
            self._executing += 1
            self.peak_executing = max(self.peak_executing, self._executing)
        try:
            return fn(*args)
        finally:
            with self._exec_lock:
                self._executing -= 1

    def _take(self) -> None:
        self.in_use += 1
        self.peak_in_use = max(self.peak_in_use, self.in_use)
        GPU_SLOTS_IN_USE.set(self.in_use)

    def _give_back(self) -> None:
        self.in_use -= 1
        GPU_SLOTS_IN_USE.set(self.in_use)
        self._sem.release()

    def describe(self) -> dict[str, int]:
        return {"limit": self.concurrency, "in_use": self.in_use, "waiting": self.waiting,
                "in_flight": self.in_flight, "max_waiting": self.max_waiting,
                "peak_in_use": self.peak_in_use, "peak_executing": self.peak_executing}

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
