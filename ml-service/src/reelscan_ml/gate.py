"""The GPU semaphore: at most GPU_CONCURRENCY model executions at once.

Blocking inference runs in a worker thread so the event loop stays free and
/health answers while a model runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from reelscan_shared.metrics import GPU_SLOTS_IN_USE

T = TypeVar("T")


class GpuGate:
    def __init__(self, concurrency: int) -> None:
        self.concurrency = concurrency
        self._sem = asyncio.Semaphore(concurrency)
        self.in_use = 0
        self.peak = 0
        self.waiting = 0

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        self.waiting += 1
        try:
            await self._sem.acquire()
        finally:
            self.waiting -= 1
        self.in_use += 1
        self.peak = max(self.peak, self.in_use)
        GPU_SLOTS_IN_USE.set(self.in_use)
        try:
            return await asyncio.to_thread(fn, *args)
        finally:
            self.in_use -= 1
            GPU_SLOTS_IN_USE.set(self.in_use)
            self._sem.release()
