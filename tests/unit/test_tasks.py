from datetime import timedelta

import pytest
from factories import task

from reelscan_shared.domain.clock import utcnow
from reelscan_shared.domain.errors import InvalidTransition
from reelscan_shared.domain.tasks import Event, TaskStatus, job_id_for


def test_job_id_is_stable_per_task() -> None:
    t = task()
    assert t.job_id == job_id_for(t.task_id) == f"ml_{t.task_id}"


def test_happy_path_sets_timestamps_and_attempts() -> None:
    now = utcnow()
    t = task().apply(Event.START, now)
    assert (t.status, t.attempts, t.started_at) == (TaskStatus.RUNNING, 1, now)
    done = t.apply(Event.COMPLETE, now + timedelta(seconds=2))
    assert done.status is TaskStatus.COMPLETED
    assert done.completed_at == now + timedelta(seconds=2)


@pytest.mark.parametrize("status", [TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.CANCELLED])
def test_finished_tasks_cannot_be_cancelled(status: TaskStatus) -> None:
    with pytest.raises(InvalidTransition, match="cannot become cancelled"):
        task(status=status).apply(Event.CANCEL, utcnow())


def test_only_failed_or_cancelled_tasks_retry() -> None:
    with pytest.raises(InvalidTransition):
        task(status=TaskStatus.COMPLETED).apply(Event.RETRY, utcnow())
    retried = task(status=TaskStatus.FAILED, error="boom", attempts=3).apply(Event.RETRY, utcnow())
    assert retried.status is TaskStatus.PENDING
    assert (retried.started_at, retried.completed_at, retried.error, retried.attempts) == (None, None, None, 3)


def test_cancel_of_a_pending_task_keeps_timestamps_ordered() -> None:
    now = utcnow()
    cancelled = task().apply(Event.CANCEL, now)
    assert cancelled.started_at == cancelled.completed_at == now
