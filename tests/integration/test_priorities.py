"""Priorities and paused queues, with arq's real Worker reading a real Valkey."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from typing import Any

from arq.worker import func
from factories import task

from reelscan_shared.adapters.queue import JOB_FUNCTION, ArqJobQueue
from reelscan_shared.domain.queues import GPU_QUEUE
from reelscan_shared.domain.tasks import Priority, TaskType
from reelscan_worker.settings import WorkerSettings
from reelscan_worker.worker import PausableWorker, build_worker


def recording_worker(redis: Any, started: list[str], **overrides: Any) -> PausableWorker:
    """Our worker (pause check included) with a job function that records its task id."""
    async def record(_ctx: dict[str, Any], task_id: str) -> None:
        started.append(task_id)

    settings = WorkerSettings(REDIS_URL="redis://unused", ARQ_POLL_DELAY=0.01)
    worker = build_worker(settings, GPU_QUEUE, functions=[func(record, name=JOB_FUNCTION)], on_startup=None,
                          on_shutdown=None, redis_pool=redis, max_jobs=1, handle_signals=False, **overrides)
    assert isinstance(worker, PausableWorker)
    return worker


async def wait_for(condition: Any, what: str, timeout_s: float = 60.0) -> None:
    """A liveness bound, not a speed check: generous, and only reached if it is broken."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        await asyncio.sleep(0.02)


async def test_a_high_priority_job_starts_before_a_waiting_backlog(redis) -> None:
    q = ArqJobQueue(redis)
    low = [task(task_type=TaskType.OCR, priority=Priority.LOW) for _ in range(200)]
    normal = [task(task_type=TaskType.OCR) for _ in range(20)]
    high = task(task_type=TaskType.OCR, priority=Priority.HIGH)
    await q.enqueue_many(low)
    await q.enqueue_many(normal)
    await q.enqueue(high)  # added last
    assert await q.depth_by_priority(GPU_QUEUE) == {Priority.HIGH: 1, Priority.NORMAL: 20, Priority.LOW: 200}

    started: list[str] = []
    await recording_worker(redis, started, burst=True).async_run()

    # Every high job before normal ones, normal before low (jobs enqueued in one
    # millisecond share a score: among those arq goes by job id).
    assert started[0] == high.task_id
    assert set(started[1:21]) == {t.task_id for t in normal} and set(started[21:]) == {t.task_id for t in low}


async def test_reprioritize_moves_only_queued_jobs_to_the_front(redis) -> None:
    q = ArqJobQueue(redis)
    backlog = [task(task_type=TaskType.OCR) for _ in range(5)]
    await q.enqueue_many(backlog)
    urgent = task(task_type=TaskType.OCR)
    await q.enqueue(urgent)
    never_queued = task(task_type=TaskType.OCR, priority=Priority.HIGH)
    assert await q.reprioritize([replace(urgent, priority=Priority.HIGH), never_queued]) == 1
    assert await q.depth(GPU_QUEUE) == 6  # ZADD XX: the job that was not queued is not added

    started: list[str] = []
    await recording_worker(redis, started, burst=True).async_run()
    assert started[0] == urgent.task_id and set(started[1:]) == {t.task_id for t in backlog}


async def test_a_paused_queue_keeps_its_jobs_until_resumed(redis) -> None:
    q = ArqJobQueue(redis)
    waiting = [task(task_type=TaskType.OCR) for _ in range(3)]
    await q.enqueue_many(waiting)
    await q.set_paused(GPU_QUEUE, True)
    assert await q.paused(GPU_QUEUE)

    started: list[str] = []
    worker = recording_worker(redis, started)
    run = asyncio.create_task(worker.async_run())
    try:
        # The worker has seen the waiting jobs and read the flag twice since.
        first = time.monotonic()
        await wait_for(lambda: worker._paused_checked > first + worker.PAUSE_CHECK_S, "two pause checks")
        assert started == [] and await q.depth(GPU_QUEUE) == 3

        await q.set_paused(GPU_QUEUE, False)
        await wait_for(lambda: len(started) == 3, "the jobs to run after resume")
        assert sorted(started) == sorted(t.task_id for t in waiting)
    finally:
        run.cancel()
        await asyncio.gather(run, return_exceptions=True)
        await worker.close()
