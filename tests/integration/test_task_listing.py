"""The task list's index-friendly SQL (task_listing.py) returns exactly the order its
definition promises: (key NULLS LAST, task_id), in the asked direction, for every
sort, order, filter, offset and cursor, over tasks in every status with tied keys."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from factories import video

from reelscan_api.discovery import build_tasks
from reelscan_shared.adapters.db import SqlTaskRepository, SqlVideoRepository
from reelscan_shared.domain.clock import utcnow
from reelscan_shared.domain.tasks import Event, Task, TaskStatus, TaskType
from reelscan_shared.ports.repositories import TaskQuery

LIFECYCLES = {  # how each status is reached
    TaskStatus.PENDING: [],
    TaskStatus.RUNNING: [Event.START],
    TaskStatus.COMPLETED: [Event.START, Event.COMPLETE],
    TaskStatus.FAILED: [Event.START, Event.FAIL],
    TaskStatus.CANCELLED: [Event.START, Event.CANCEL],
    TaskStatus.BLOCKED: [Event.START, Event.BLOCK],
}


async def _random_tasks(db, seed: int) -> list[Task]:
    """30 tasks: random statuses, start times and run lengths from small sets (ties)."""
    rng = random.Random(seed)
    repo, tasks = SqlTaskRepository(db), []
    base = utcnow() - timedelta(hours=2)
    for i in range(5):
        v = video(f"/videos/{seed}-{i}.mp4")
        made = build_tasks(v.video_id, {})  # six tasks sharing one created_at
        assert await SqlVideoRepository(db).add_with_tasks(v, made)
        for t in made:
            status = rng.choice(list(TaskStatus))
            # Some cancelled tasks never started (then started_at = completed_at).
            events = [Event.CANCEL] if status is TaskStatus.CANCELLED and rng.random() < 0.3 else LIFECYCLES[status]
            clock = base + timedelta(minutes=rng.choice([0, 10, 20]))
            for event in events:
                assert await repo.apply(t.task_id, event, clock, error="x" if event is Event.FAIL else None)
                clock += timedelta(minutes=rng.choice([0, 5, 50]))
            tasks.append(await repo.get(t.task_id))
    return tasks


def _key(t: Task, sort: str, now: datetime) -> object:
    if sort == "running_time":
        return None if t.started_at is None else (t.completed_at or now) - t.started_at
    return getattr(t, sort)


def _expected(tasks: list[Task], q: TaskQuery, now: datetime) -> list[str]:
    rows = [t for t in tasks if (q.status is None or t.status is q.status)
            and (q.task_type is None or t.task_type is q.task_type)]
    with_key = sorted((t for t in rows if _key(t, q.sort, now) is not None),
                      key=lambda t: (_key(t, q.sort, now), t.task_id), reverse=q.order == "desc")
    without = sorted((t for t in rows if _key(t, q.sort, now) is None), key=lambda t: t.task_id,
                     reverse=q.order == "desc")
    return [t.task_id for t in with_key + without]


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_every_listing_matches_its_definition(db, seed: int) -> None:
    tasks = await _random_tasks(db, seed)
    assert {t.status for t in tasks} == set(TaskStatus)  # every segment has rows
    repo, now = SqlTaskRepository(db), utcnow()
    for sort in ("created_at", "started_at", "running_time"):
        for order in ("asc", "desc"):
            for status in (None, *TaskStatus):
                for task_type in (None, TaskType.OCR):
                    q = TaskQuery(status=status, task_type=task_type, sort=sort, order=order, limit=500)
                    expected = _expected(tasks, q, now)
                    assert [t.task_id for t in (await repo.query(q)).items] == expected, (sort, order, status)
                    for offset in (0, 4, 9):
                        page = await repo.query(TaskQuery(status=status, task_type=task_type, sort=sort,
                                                          order=order, limit=4, offset=offset, with_total=False))
                        assert [t.task_id for t in page.items] == expected[offset:offset + 4]
                        assert page.more == (len(expected) > offset + 4)


@pytest.mark.parametrize("seed", [1, 2])
async def test_cursor_walks_match_the_full_listing(db, seed: int) -> None:
    tasks = await _random_tasks(db, seed)
    repo, now = SqlTaskRepository(db), utcnow()
    for sort in ("created_at", "started_at"):
        for order in ("asc", "desc"):
            for status in (None, TaskStatus.PENDING, TaskStatus.COMPLETED):
                expected = _expected(tasks, TaskQuery(status=status, sort=sort, order=order), now)
                walked: list[str] = []
                after = None
                while True:
                    page = await repo.query(TaskQuery(status=status, sort=sort, order=order, limit=4,
                                                      after=after, with_total=False))
                    walked += [t.task_id for t in page.items]
                    if not page.more:
                        break
                    last = page.items[-1]
                    after = (getattr(last, sort), last.task_id)
                assert walked == expected, (sort, order, status)
