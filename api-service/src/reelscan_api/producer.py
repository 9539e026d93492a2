"""Enqueueing tasks onto arq; failures are logged, never lost: the task row is
PENDING in PostgreSQL and the reconciler enqueues it once Valkey is back."""

from __future__ import annotations

from collections.abc import Sequence

from reelscan_shared.domain.errors import QueueUnavailable
from reelscan_shared.domain.tasks import Task
from reelscan_shared.logging import get_logger
from reelscan_shared.ports.queue import JobQueue

log = get_logger(__name__)


async def enqueue_all(queue: JobQueue, tasks: Sequence[Task]) -> int:
    """Enqueue the tasks' jobs (pipelined); returns how many jobs were created."""
    try:
        created = await queue.enqueue_many(tasks)
    except QueueUnavailable as exc:
        log.warning("enqueue_deferred", tasks=len(tasks), reason=str(exc))
        return 0
    for task, new in zip(tasks, created, strict=True):
        if new:
            log_enqueued(task, "discovery")
    return sum(created)


async def requeue_all(queue: JobQueue, tasks: Sequence[Task], source: str) -> int:
    """Enqueue tasks that ran before (a finished job's kept result is cleared first); a
    job still running is left: the reconciler enqueues its task once that job ends."""
    done = 0
    for task in tasks:
        try:
            if await queue.requeue(task):
                log_enqueued(task, source)
                done += 1
        except QueueUnavailable as exc:
            log.warning("enqueue_deferred", task_id=task.task_id, reason=str(exc))
    return done


async def abort_all(queue: JobQueue, tasks: Sequence[Task]) -> None:
    """Abort the jobs of tasks already CANCELLED in PostgreSQL (a worker that takes one
    anyway skips it, so a failure here only costs a wasted pick-up)."""
    for task in tasks:
        try:
            await queue.abort(task)
        except QueueUnavailable as exc:
            log.warning("abort_deferred", task_id=task.task_id, reason=str(exc))


def log_enqueued(task: Task, source: str) -> None:
    """The named ``job_enqueued`` event; source: discovery, enqueue (API call), retry or reprocess."""
    log.info("job_enqueued", task_id=task.task_id, job_id=task.job_id, video_id=task.video_id,
             task_type=task.task_type.value, queue=task.queue, source=source)
