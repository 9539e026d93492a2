"""Enqueueing tasks onto arq; failures are logged, never lost: the task row is
PENDING in PostgreSQL and the reconciler enqueues it once Valkey is back."""

from __future__ import annotations

from collections.abc import Iterable

from reelscan_shared.domain.errors import QueueUnavailable
from reelscan_shared.domain.tasks import Task
from reelscan_shared.logging import get_logger
from reelscan_shared.ports.queue import JobQueue

log = get_logger(__name__)


async def enqueue_all(queue: JobQueue, tasks: Iterable[Task]) -> int:
    """Enqueue each task; returns how many jobs were created."""
    created = 0
    for task in tasks:
        try:
            if await queue.enqueue(task):
                created += 1
                log_enqueued(task, "discovery")
        except QueueUnavailable as exc:
            log.warning("enqueue_deferred", task_id=task.task_id, job_id=task.job_id, reason=str(exc))
    return created


def log_enqueued(task: Task, source: str) -> None:
    """The named ``job_enqueued`` event; source: discovery, enqueue (API call) or retry."""
    log.info("job_enqueued", task_id=task.task_id, job_id=task.job_id, video_id=task.video_id,
             task_type=task.task_type.value, queue=task.queue, source=source)
