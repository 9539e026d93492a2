"""The reconciler on real PostgreSQL and Valkey: it acts on definitive signals only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from arq.constants import in_progress_key_prefix, job_key_prefix, result_key_prefix
from arq.jobs import serialize_result
from factories import envelopes, response, video
from fakes import FakeMLClient
from sqlalchemy import text

from reelscan_api.discovery import build_tasks
from reelscan_shared.adapters.db import SqlTaskRepository, SqlVideoRepository
from reelscan_shared.adapters.queue import ArqJobQueue
from reelscan_shared.domain.clock import utcnow
from reelscan_shared.domain.tasks import Event, Priority, TaskStatus, TaskType
from reelscan_shared.ports.ml import MLUnavailable
from reelscan_worker import bootstrap
from reelscan_worker.lease import lease_key
from reelscan_worker.reconciler import Reconciler
from reelscan_worker.settings import JOB_CEILING_S, WorkerSettings


@pytest.fixture
async def world(db, redis, migrated_url, valkey):
    settings = WorkerSettings(DATABASE_URL=migrated_url, REDIS_URL=valkey.url, WORKER_LEASE_TTL=5,
                              TASK_ALERT_AFTER=60)
    deps = bootstrap.build(settings, redis, ml=FakeMLClient())
    v = video()
    tasks = build_tasks(v.video_id, {})
    await SqlVideoRepository(db).add_with_tasks(v, tasks)
    yield deps, {t.task_type: t for t in tasks}
    await deps.close()


async def _start(db, task_id: str, ago_s: float = 0):
    return await SqlTaskRepository(db).apply(task_id, Event.START, utcnow() - timedelta(seconds=ago_s))


async def test_pending_tasks_without_jobs_are_enqueued(world, redis) -> None:
    deps, tasks = world
    queue = ArqJobQueue(redis)
    await queue.enqueue(tasks[TaskType.OCR])  # one still has its job
    counts = await Reconciler(deps).run_once()
    assert counts["enqueued_pending"] == 5
    for t in tasks.values():
        assert await queue.job_state(t.job_id, t.queue) == "queued"
    assert (await Reconciler(deps).run_once()).get("enqueued_pending", 0) == 0, "idempotent"


async def test_a_job_taken_by_a_worker_that_died_before_starting_it_is_released(world, db, redis) -> None:
    """SIGKILL between arq marking the job in progress and the task's start: the task is
    PENDING and its job queued but marked taken, so no worker would take it for
    arq's job timeout + 10 s. Found in the fault suite (test_sigkill_a_worker_mid_task)."""
    deps, tasks = world
    queue = ArqJobQueue(redis)
    full_ms = (JOB_CEILING_S + 10) * 1000  # arq's marker lifetime
    abandoned, just_taken, leased = tasks[TaskType.OCR], tasks[TaskType.FACE_DETECTION], tasks[TaskType.TRANSCRIPTION]
    for t, age_s in ((abandoned, 60), (just_taken, 1), (leased, 60)):
        await queue.enqueue(t)
        await redis.set(in_progress_key_prefix + t.job_id, b"1", px=full_ms - age_s * 1000)
    await redis.set(lease_key(leased.job_id), "worker-1", ex=30)
    counts = await Reconciler(deps).run_once()
    assert counts.get("released_abandoned_job") == 1
    assert await queue.job_state(abandoned.job_id, abandoned.queue) == "queued"
    for t in (just_taken, leased):  # a worker may be about to start it, or is running it
        assert await queue.job_state(t.job_id, t.queue) == "in_progress"
    for t in (abandoned, just_taken, leased):
        assert (await SqlTaskRepository(db).get(t.task_id)).status is TaskStatus.PENDING


async def test_running_task_whose_job_vanished_is_rerun(world, db, redis) -> None:
    deps, tasks = world
    t = tasks[TaskType.OCR]
    await _start(db, t.task_id)
    counts = await Reconciler(deps).run_once()
    assert counts["reset_lost_job"] == 1
    assert (await SqlTaskRepository(db).get(t.task_id)).status is TaskStatus.PENDING
    assert await ArqJobQueue(redis).job_state(t.job_id, t.queue) == "queued"


async def test_expired_lease_clears_arqs_in_progress_marker(world, db, redis) -> None:
    deps, tasks = world
    queue = ArqJobQueue(redis)
    dead, alive, fresh = tasks[TaskType.OCR], tasks[TaskType.FACE_DETECTION], tasks[TaskType.TRANSCRIPTION]
    for t, ago in ((dead, 60), (alive, 60), (fresh, 1)):
        await queue.enqueue(t)
        await redis.set(in_progress_key_prefix + t.job_id, b"1", px=3_600_000)  # as arq marks a taken job
        await _start(db, t.task_id, ago_s=ago)
    await redis.set(lease_key(alive.job_id), "worker-1", ex=30)  # a live worker renews this
    counts = await Reconciler(deps).run_once()
    assert counts.get("reset_expired_lease") == 1
    assert not await redis.exists(in_progress_key_prefix + dead.job_id)
    assert (await SqlTaskRepository(db).get(dead.task_id)).status is TaskStatus.PENDING
    assert await queue.job_state(dead.job_id, dead.queue) == "queued"
    # A live lease, or a task that started a moment ago, is left alone.
    assert (await SqlTaskRepository(db).get(alive.task_id)).status is TaskStatus.RUNNING
    assert (await SqlTaskRepository(db).get(fresh.task_id)).status is TaskStatus.RUNNING


async def _finished_job(redis, t, success: bool) -> None:
    data = serialize_result("run_task", (t.task_id,), {}, 1, 0, success, None, 0, 0, t.job_id, t.queue, t.job_id)
    await redis.set(result_key_prefix + t.job_id, data)
    await redis.delete(job_key_prefix + t.job_id)


async def test_running_task_with_a_final_job_result(world, db, redis) -> None:
    deps, tasks = world
    repo = SqlTaskRepository(db)
    with_artifacts, without = tasks[TaskType.OCR], tasks[TaskType.SCENE_DETECTION]
    started = await _start(db, with_artifacts.task_id)
    await repo.complete_with_artifacts(with_artifacts.task_id, envelopes(started, response()), utcnow())
    async with db.engine.begin() as conn:  # the status write was lost; the artifacts were not
        await conn.execute(text("UPDATE tasks SET status='running', completed_at=NULL WHERE task_id=:t"),
                           {"t": with_artifacts.task_id})
    await _start(db, without.task_id)
    await _finished_job(redis, with_artifacts, True)
    await _finished_job(redis, without, False)
    counts = await Reconciler(deps).run_once()
    assert counts["marked_completed"] == 1 and counts["rerun_finished_job"] == 1
    assert (await repo.get(with_artifacts.task_id)).status is TaskStatus.COMPLETED
    assert (await repo.get(without.task_id)).status is TaskStatus.PENDING
    assert await ArqJobQueue(redis).job_state(without.job_id, without.queue) == "queued"


async def test_a_rerun_is_not_completed_by_the_previous_runs_artifacts(world, db, redis) -> None:
    deps, tasks = world
    repo = SqlTaskRepository(db)
    t = tasks[TaskType.OCR]
    started = await _start(db, t.task_id)
    await repo.complete_with_artifacts(t.task_id, envelopes(started, response()), utcnow())
    assert await repo.rerun(t.task_id, utcnow(), "reprocess requested", Priority.LOW) is not None
    await _start(db, t.task_id)  # the re-run starts; its job then ends without completing it
    await _finished_job(redis, t, False)
    counts = await Reconciler(deps).run_once()
    assert counts.get("marked_completed", 0) == 0 and counts["rerun_finished_job"] == 1
    assert (await repo.get(t.task_id)).status is TaskStatus.PENDING
    assert await repo.artifact_count(t.task_id) == 2  # the previous results are still readable


async def test_long_runs_raise_an_alert_but_are_never_killed(world, db, redis) -> None:
    deps, tasks = world
    t = tasks[TaskType.OCR]
    await ArqJobQueue(redis).enqueue(t)
    await redis.set(in_progress_key_prefix + t.job_id, b"1", px=3_600_000)
    await redis.set(lease_key(t.job_id), "worker-1", ex=30)
    await _start(db, t.task_id, ago_s=3600)
    counts = await Reconciler(deps).run_once()
    assert counts == {"long_running_alerts": 1, "enqueued_pending": 5}
    assert (await SqlTaskRepository(db).get(t.task_id)).status is TaskStatus.RUNNING


async def test_only_one_reconciler_runs_at_a_time(world, redis) -> None:
    deps, _ = world
    from reelscan_worker.reconciler import LOCK_KEY

    await redis.set(LOCK_KEY, "another-worker", ex=30)
    assert await Reconciler(deps).run_exclusive() is None
    await redis.delete(LOCK_KEY)
    assert await Reconciler(deps).run_exclusive() is not None


async def test_the_frequent_running_only_pass_leaves_pending_tasks_alone(world, db, redis) -> None:
    deps, tasks = world
    await _start(db, tasks[TaskType.OCR].task_id)
    counts = await Reconciler(deps).run_once(running_only=True)
    assert counts == {"reset_lost_job": 1}
    assert await ArqJobQueue(redis).depth("cpu_jobs") == 0, "pending tasks wait for the full pass"


class _MLDown(FakeMLClient):
    async def runnable_analyses(self) -> frozenset[TaskType]:
        raise MLUnavailable("ML service /health did not answer (ConnectError)")


async def test_blocked_tasks_run_again_only_once_the_ml_service_can_run_them(world, db, redis) -> None:
    deps, tasks = world
    repo, queue = SqlTaskRepository(db), ArqJobQueue(redis)
    places, objects = tasks[TaskType.PLACE_DETECTION], tasks[TaskType.OBJECT_DETECTION]
    for t in (places, objects):
        await _start(db, t.task_id)
        await repo.apply(t.task_id, Event.BLOCK, utcnow(), error="no trained weights for ...")
    for t in tasks.values():
        if t.task_type not in (TaskType.PLACE_DETECTION, TaskType.OBJECT_DETECTION):
            await queue.enqueue(t)  # the others have their jobs: only the blocked ones are in question

    for ml in (_MLDown(), FakeMLClient(runnable=frozenset(TaskType) - {places.task_type, objects.task_type})):
        deps.ml = ml
        assert "unblocked" not in await Reconciler(deps).run_once()
        assert (await repo.get(places.task_id)).status is TaskStatus.BLOCKED
    deps.ml = FakeMLClient(runnable=frozenset(TaskType) - {objects.task_type})  # places' weights arrived
    assert (await Reconciler(deps).run_once())["unblocked"] == 1
    rerun = await repo.get(places.task_id)
    assert rerun.status is TaskStatus.PENDING and rerun.error == "re-run: place_detection can run now"
    assert await queue.job_state(places.job_id, places.queue) == "queued"
    assert (await repo.get(objects.task_id)).status is TaskStatus.BLOCKED
    assert "unblocked" not in await Reconciler(deps).run_once()  # nothing left to unblock for it
