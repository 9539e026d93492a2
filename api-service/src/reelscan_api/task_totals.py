"""Totals for the task list without a COUNT per request.

Counting the rows behind ``GET /tasks?status=completed`` means visiting every one of
them: at 100,000 tasks that is most of the request's cost, paid again by every page.
The list's ``total`` instead comes from one GROUP BY (task_type, status) shared by all
requests for ``TASK_TOTALS_CACHE_SECONDS``. The API forgets it at once after its own
writes (discovery, cancel, retry); changes made by workers show within that window.
Listings of one video are small and always counted exactly.
"""

from __future__ import annotations

import asyncio
import time

from reelscan_shared.domain.tasks import TaskStatus, TaskType
from reelscan_shared.ports.repositories import TaskRepository


class TaskTotals:
    def __init__(self, tasks: TaskRepository, max_age_s: float) -> None:
        self._tasks = tasks
        self._max_age_s = max_age_s
        self._counts: dict[tuple[str, str], int] | None = None
        self._taken_at = 0.0
        self._lock = asyncio.Lock()

    def invalidate(self) -> None:
        self._counts = None

    async def total(self, status: TaskStatus | None, task_type: TaskType | None) -> int:
        counts = await self.counts()
        return sum(n for (kind, state), n in counts.items()
                   if (status is None or state == status.value) and (task_type is None or kind == task_type.value))

    async def counts(self) -> dict[tuple[str, str], int]:
        """Tasks per (task type, status), at most ``max_age_s`` old."""
        if self._counts is not None and time.monotonic() - self._taken_at < self._max_age_s:
            return self._counts
        async with self._lock:  # concurrent requests share one query
            if self._counts is None or time.monotonic() - self._taken_at >= self._max_age_s:
                taken_at = time.monotonic()
                self._counts = await self._tasks.type_status_counts()
                self._taken_at = taken_at
            return self._counts
