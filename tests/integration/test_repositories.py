"""Repositories against a real PostgreSQL."""

import asyncio
from datetime import timedelta

from factories import envelopes, response, task, video

from reelscan_api.discovery import build_tasks
from reelscan_shared.adapters.db import SqlArtifactRepository, SqlTaskRepository, SqlVideoRepository
from reelscan_shared.domain.clock import utcnow
from reelscan_shared.domain.tasks import Event, TaskStatus, TaskType
from reelscan_shared.ports.repositories import ArtifactQuery, TaskQuery


async def _video_with_tasks(db, path=None):
    v = video(path)
    tasks = build_tasks(v.video_id, {})
    assert await SqlVideoRepository(db).add_with_tasks(v, tasks)
    return v, tasks


async def test_a_video_and_its_tasks_are_created_once(db) -> None:
    v, _ = await _video_with_tasks(db, "/videos/a.mp4")
    again = video("/videos/a.mp4")
    assert not await SqlVideoRepository(db).add_with_tasks(again, build_tasks(again.video_id, {}))
    page = await SqlTaskRepository(db).query(TaskQuery(video_id=v.video_id))
    assert page.total == 6
    assert {t.task_type for t in page.items} == set(TaskType)


async def test_filters_sorts_and_pagination(db) -> None:
    repo = SqlTaskRepository(db)
    for i in range(3):
        await _video_with_tasks(db, f"/videos/{i}.mp4")
    assert (await repo.query(TaskQuery(limit=500))).total == 18
    ocr = await repo.query(TaskQuery(task_type=TaskType.OCR))
    assert ocr.total == 3 and all(t.task_type is TaskType.OCR for t in ocr.items)
    # Start three tasks at different times; finish two with different running times.
    ids = [t.task_id for t in ocr.items]
    t0 = utcnow() - timedelta(seconds=100)
    for i, task_id in enumerate(ids):
        await repo.apply(task_id, Event.START, t0 + timedelta(seconds=i))
    await repo.apply(ids[0], Event.COMPLETE, t0 + timedelta(seconds=50))  # ran 50 s
    await repo.apply(ids[1], Event.FAIL, t0 + timedelta(seconds=6), error="x")  # ran 5 s
    by_started = await repo.query(TaskQuery(task_type=TaskType.OCR, sort="started_at", order="asc"))
    assert [t.task_id for t in by_started.items] == ids
    running = await repo.query(TaskQuery(status=TaskStatus.RUNNING))
    assert [t.task_id for t in running.items] == [ids[2]]
    by_runtime = await repo.query(TaskQuery(task_type=TaskType.OCR, sort="running_time", order="desc"))
    # The still-running task has run ~98 s so far (until now), then 50 s, then 5 s.
    assert [t.task_id for t in by_runtime.items] == [ids[2], ids[0], ids[1]]
    page2 = await repo.query(TaskQuery(limit=5, offset=15))
    assert page2.total == 18 and len(page2.items) == 3


async def test_conditional_updates_let_exactly_one_racer_win(db) -> None:
    repo = SqlTaskRepository(db)
    _, tasks = await _video_with_tasks(db)
    task_id = tasks[0].task_id
    await repo.apply(task_id, Event.START, utcnow())
    results = await asyncio.gather(*(repo.apply(task_id, e, utcnow()) for e in [Event.CANCEL, Event.COMPLETE] * 5))
    winners = [r for r in results if r is not None]
    assert len(winners) == 1
    assert (await repo.get(task_id)).status is winners[0].status


async def test_completion_replaces_artifacts_atomically(db) -> None:
    repo, artifacts = SqlTaskRepository(db), SqlArtifactRepository(db)
    v, tasks = await _video_with_tasks(db)
    t = next(t for t in tasks if t.task_type is TaskType.OCR)
    started = await repo.apply(t.task_id, Event.START, utcnow())
    assert await repo.complete_with_artifacts(t.task_id, envelopes(started, response()), utcnow())
    # A second completion of the same task (e.g. a row repaired back to RUNNING by hand)
    # replaces the artifacts, never duplicates them.
    from sqlalchemy import text

    async with db.engine.begin() as conn:
        await conn.execute(text("UPDATE tasks SET status='running', completed_at=NULL WHERE task_id=:t"),
                           {"t": t.task_id})
    assert await repo.complete_with_artifacts(t.task_id, envelopes(started, response()), utcnow())
    page = await artifacts.query(ArtifactQuery(video_id=v.video_id))
    assert page.total == 2
    assert (await repo.get(t.task_id)).status is TaskStatus.COMPLETED


async def test_completion_of_a_cancelled_task_writes_nothing(db) -> None:
    repo = SqlTaskRepository(db)
    _, tasks = await _video_with_tasks(db)
    started = await repo.apply(tasks[3].task_id, Event.START, utcnow())
    await repo.apply(tasks[3].task_id, Event.CANCEL, utcnow())
    ocr_task = started.__class__(**{**started.__dict__, "task_type": TaskType.OCR})
    assert not await repo.complete_with_artifacts(started.task_id, envelopes(ocr_task, response()), utcnow())
    assert await repo.artifact_count(started.task_id) == 0
    assert (await repo.get(started.task_id)).status is TaskStatus.CANCELLED


async def test_artifact_time_window_and_type_filters(db) -> None:
    from factories import ocr_item

    repo, artifacts = SqlTaskRepository(db), SqlArtifactRepository(db)
    v, tasks = await _video_with_tasks(db)
    t = next(t for t in tasks if t.task_type is TaskType.OCR)
    started = await repo.apply(t.task_id, Event.START, utcnow())
    items = [ocr_item(ms) for ms in (0, 1000, 2000, 3000)]
    await repo.complete_with_artifacts(t.task_id, envelopes(started, response(items=items)), utcnow())
    window = await artifacts.query(ArtifactQuery(video_id=v.video_id, from_ms=1000, to_ms=2000))
    assert [a.span_start_ms for a in window.items] == [1000, 2000]
    assert (await artifacts.query(ArtifactQuery(video_id=v.video_id, artifact_type="scene"))).total == 0
    assert (await artifacts.query(ArtifactQuery(video_id=v.video_id, limit=1, offset=3))).items[0].span_start_ms == 3000


async def test_unknown_ids_are_none(db) -> None:
    assert await SqlTaskRepository(db).get(task().task_id) is None
    assert await SqlTaskRepository(db).apply(task().task_id, Event.CANCEL, utcnow()) is None
    assert await SqlVideoRepository(db).get(video().video_id) is None


async def test_the_database_refuses_timestamps_that_contradict_the_status(db) -> None:
    """The task list reads pending = never started, finished = has an end (task_listing.py);
    the CHECK constraints keep a hand-made UPDATE from breaking that."""
    import pytest
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    _, tasks = await _video_with_tasks(db)
    for bad in ("status='running'", "status='completed', started_at=now()", "started_at=now()",
                "status='failed', started_at=now(), completed_at=NULL"):
        with pytest.raises(IntegrityError, match="ck_tasks_"):
            async with db.engine.begin() as conn:
                await conn.execute(text(f"UPDATE tasks SET {bad} WHERE task_id=:t"), {"t": tasks[0].task_id})
