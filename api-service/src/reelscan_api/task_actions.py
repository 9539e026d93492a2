"""What operators do to tasks: enqueue, cancel, retry. Routes only translate HTTP.

Each action is an atomic transition in PostgreSQL (the truth) followed by the
matching queue step; domain errors (NotFound, InvalidTransition, QueueUnavailable)
say why an action is refused, and the routes map them to 404 / 409 / 503.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from reelscan_api.producer import log_enqueued
from reelscan_shared.domain.clock import utcnow
from reelscan_shared.domain.errors import InvalidTransition, NotFound, QueueUnavailable
from reelscan_shared.domain.tasks import Event, Task, TaskStatus, target_of
from reelscan_shared.logging import get_logger
from reelscan_shared.ports.queue import JobQueue
from reelscan_shared.ports.repositories import TaskRepository

log = get_logger(__name__)


@dataclass(frozen=True)
class TaskAction:
    task: Task  # as the action left it
    enqueued: bool  # whether a new job was put on the queue


class TaskActions:
    def __init__(self, tasks: TaskRepository, queue: JobQueue, on_change: Callable[[], None]) -> None:
        self.tasks = tasks
        self.queue = queue
        self.on_change = on_change  # told after a status changed (the task list's totals)

    async def get(self, task_id: str) -> Task:
        task = await self.tasks.get(task_id)
        if task is None:
            raise NotFound(f"task {task_id} not found")
        return task

    async def enqueue(self, task_id: str) -> TaskAction:
        """Enqueue a PENDING task's job (a no-op if it is already queued)."""
        task = await self.get(task_id)
        if task.status is not TaskStatus.PENDING:
            raise InvalidTransition(task.task_id, task.status.value, "enqueued")
        enqueued = await self.queue.enqueue(task)
        if enqueued:
            log_enqueued(task, "enqueue")
        return TaskAction(task, enqueued)

    async def cancel(self, task_id: str) -> TaskAction:
        """Mark the task CANCELLED and abort its job."""
        task = await self._apply(await self.get(task_id), Event.CANCEL)
        try:
            await self.queue.abort(task)
        except QueueUnavailable as exc:
            # The row is CANCELLED: a worker that picks the job up skips it, and a running
            # attempt cannot complete (completion requires RUNNING).
            log.warning("abort_deferred", task_id=task.task_id, job_id=task.job_id, reason=str(exc))
        return TaskAction(task, enqueued=False)

    async def retry(self, task_id: str) -> TaskAction:
        """Send a FAILED or CANCELLED task back to PENDING and enqueue it again."""
        task = await self.get(task_id)
        await self.queue.ping()  # refuse (503) before changing state if the queue is down
        task = await self._apply(task, Event.RETRY)
        enqueued = await self.queue.requeue(task)
        if enqueued:
            log_enqueued(task, "retry")
        return TaskAction(task, enqueued)

    async def _apply(self, task: Task, event: Event) -> Task:
        updated = await self.tasks.apply(task.task_id, event, utcnow())
        if updated is None:  # the status changed under us or never allowed it
            current = await self.get(task.task_id)
            raise InvalidTransition(task.task_id, current.status.value, target_of(event).value)
        self.on_change()
        return updated
