"""The job handler on real PostgreSQL and Valkey, with a scripted ML port."""

from __future__ import annotations

import asyncio

import pytest
from arq import Retry
from factories import ocr_item, response, video
from fakes import FakeMLClient, Killed, WindowedML

from reelscan_api.discovery import build_tasks
from reelscan_shared.adapters.db import SqlArtifactRepository, SqlTaskRepository, SqlVideoRepository
from reelscan_shared.domain.clock import utcnow
from reelscan_shared.domain.tasks import Event, TaskStatus, TaskType
from reelscan_shared.ports.ml import MLError, MLNotRunnable, MLUnavailable
from reelscan_shared.ports.repositories import ArtifactQuery
from reelscan_worker import bootstrap
from reelscan_worker.handler import run_task
from reelscan_worker.lease import lease_key
from reelscan_worker.settings import WorkerSettings


@pytest.fixture
def settings(migrated_url: str, valkey) -> WorkerSettings:
    return WorkerSettings(DATABASE_URL=migrated_url, REDIS_URL=valkey.url, ARQ_MAX_TRIES=3,
                          RETRY_BASE_DELAY_SECONDS=1)


async def setup(db, redis, settings, ml):
    v = video()
    tasks = build_tasks(v.video_id, {})
    await SqlVideoRepository(db).add_with_tasks(v, tasks)
    ocr = next(t for t in tasks if t.task_type is TaskType.OCR)
    deps = bootstrap.build(settings, redis, ml=ml)
    return deps, ocr, v


def ctx(deps, task, job_try: int = 1) -> dict:
    return {"deps": deps, "job_id": task.job_id, "job_try": job_try}


async def test_success_stores_validated_artifacts(db, redis, settings) -> None:
    ml = FakeMLClient(response())
    deps, task, v = await setup(db, redis, settings, ml)
    result = await run_task(ctx(deps, task), task.task_id)
    assert result == {"outcome": "completed", "artifacts": 2}
    stored = await SqlTaskRepository(db).get(task.task_id)
    assert stored.status is TaskStatus.COMPLETED and stored.attempts == 1 and stored.completed_at
    # one segment: the ML service measured the video at 4 s, less than a segment
    assert ml.calls == [(TaskType.OCR, v.path, {**task.config, "emit": "frames"})]
    assert ml.windows == [(0, settings.segment_ms)]
    page = await SqlArtifactRepository(db).query(ArtifactQuery(video_id=v.video_id))
    assert [a.payload["text"] for a in page.items] == ["HELLO", "WORLD"]
    assert not await redis.exists(lease_key(task.job_id)), "the lease is released after the job"
    await deps.close()


async def test_ml_unavailable_retries_with_backoff_then_fails(db, redis, settings) -> None:
    ml = FakeMLClient(*(MLUnavailable("ML service unreachable (ConnectError)") for _ in range(3)))
    deps, task, _ = await setup(db, redis, settings, ml)
    repo = SqlTaskRepository(db)
    with pytest.raises(Retry) as first:
        await run_task(ctx(deps, task, 1), task.task_id)
    assert first.value.defer_score == 1000
    pending = await repo.get(task.task_id)
    assert pending.status is TaskStatus.PENDING and "retrying" in pending.error
    with pytest.raises(Retry) as second:
        await run_task(ctx(deps, task, 2), task.task_id)
    assert second.value.defer_score == 2000
    result = await run_task(ctx(deps, task, 3), task.task_id)
    failed = await repo.get(task.task_id)
    assert result["outcome"] == "failed" and failed.status is TaskStatus.FAILED
    assert "gave up after 3 attempts" in failed.error and "unreachable" in failed.error
    assert failed.attempts == 3
    await deps.close()


async def test_ml_rejection_fails_with_its_message(db, redis, settings) -> None:
    deps, task, _ = await setup(db, redis, settings, FakeMLClient(MLError("cannot open x.mp4 as a video")))
    await run_task(ctx(deps, task), task.task_id)
    failed = await SqlTaskRepository(db).get(task.task_id)
    assert failed.status is TaskStatus.FAILED and "cannot open x.mp4" in failed.error
    await deps.close()


async def test_invalid_payload_fails_and_writes_nothing(db, redis, settings) -> None:
    bad = ocr_item(1000)
    bad = bad.model_copy(update={"payload": {**bad.payload, "box": {"x1": 9, "y1": 0, "x2": 1, "y2": 1}}})
    deps, task, v = await setup(db, redis, settings, FakeMLClient(response(items=[ocr_item(0), bad])))
    await run_task(ctx(deps, task), task.task_id)
    failed = await SqlTaskRepository(db).get(task.task_id)
    assert failed.status is TaskStatus.FAILED and "item 1" in failed.error and "x1 <= x2" in failed.error
    assert (await SqlArtifactRepository(db).query(ArtifactQuery(video_id=v.video_id))).total == 0
    await deps.close()


@pytest.mark.parametrize("status_event", [Event.CANCEL])
async def test_finished_or_cancelled_tasks_are_skipped(db, redis, settings, status_event) -> None:
    ml = FakeMLClient(response())
    deps, task, _ = await setup(db, redis, settings, ml)
    await SqlTaskRepository(db).apply(task.task_id, status_event, utcnow())
    assert (await run_task(ctx(deps, task), task.task_id))["outcome"] == "skipped"
    assert ml.calls == []
    await deps.close()


async def test_cancel_during_inference_leaves_no_artifacts(db, redis, settings) -> None:
    hold = asyncio.Event()
    ml = FakeMLClient(response(), hold=hold)
    deps, task, v = await setup(db, redis, settings, ml)
    job = asyncio.create_task(run_task(ctx(deps, task), task.task_id))
    await asyncio.wait_for(ml.entered.wait(), 5)
    assert await redis.exists(lease_key(task.job_id)), "a running job holds its lease"
    await SqlTaskRepository(db).apply(task.task_id, Event.CANCEL, utcnow())  # what the API does
    job.cancel()  # what arq does on abort
    with pytest.raises(asyncio.CancelledError):
        await job
    stored = await SqlTaskRepository(db).get(task.task_id)
    assert stored.status is TaskStatus.CANCELLED
    assert (await SqlArtifactRepository(db).query(ArtifactQuery(video_id=v.video_id))).total == 0
    await deps.close()


async def test_cancel_mid_run_racing_completion_keeps_one_state(db, redis, settings) -> None:
    hold = asyncio.Event()
    deps, task, v = await setup(db, redis, settings, FakeMLClient(response(), hold=hold))
    job = asyncio.create_task(run_task(ctx(deps, task), task.task_id))
    await asyncio.wait_for(deps.ml.entered.wait(), 5)
    await SqlTaskRepository(db).apply(task.task_id, Event.CANCEL, utcnow())
    hold.set()  # the ML answer arrives after the cancel
    assert (await job)["outcome"] == "discarded"
    assert (await SqlTaskRepository(db).get(task.task_id)).status is TaskStatus.CANCELLED
    assert (await SqlArtifactRepository(db).query(ArtifactQuery(video_id=v.video_id))).total == 0
    await deps.close()


async def test_shutdown_mid_task_hands_the_task_back(db, redis, settings) -> None:
    deps, task, _ = await setup(db, redis, settings, FakeMLClient(response(), hold=asyncio.Event()))
    job = asyncio.create_task(run_task(ctx(deps, task), task.task_id))
    await asyncio.wait_for(deps.ml.entered.wait(), 5)
    job.cancel()  # arq cancels running jobs when the grace period ends
    with pytest.raises(asyncio.CancelledError):
        await job
    stored = await SqlTaskRepository(db).get(task.task_id)
    assert stored.status is TaskStatus.PENDING and "shut down" in stored.error
    await deps.close()


async def test_wrong_artifact_type_fails_the_task(db, redis, settings) -> None:
    deps, task, _ = await setup(db, redis, settings, FakeMLClient(response("scene")))
    assert (await run_task(ctx(deps, task), task.task_id))["outcome"] == "failed"
    failed = await SqlTaskRepository(db).get(task.task_id)
    assert failed.status is TaskStatus.FAILED and "'scene'" in failed.error
    await deps.close()


# Segments: 10 s segments of a 35 s video (OCR samples every second in the fake).
SEGMENTED = {"SEGMENT_SECONDS": 10}


async def test_a_long_video_runs_in_segments_and_text_across_boundaries_is_one_span(db, redis, migrated_url,
                                                                                      valkey) -> None:
    settings = WorkerSettings(DATABASE_URL=migrated_url, REDIS_URL=valkey.url, **SEGMENTED)
    ml = WindowedML(35_000)
    deps, task, v = await setup(db, redis, settings, ml)
    assert (await run_task(ctx(deps, task), task.task_id))["outcome"] == "completed"
    assert ml.windows == [(0, 10_000), (10_000, 20_000), (20_000, 30_000), (30_000, 40_000)]
    [span] = (await SqlArtifactRepository(db).query(ArtifactQuery(video_id=v.video_id))).items
    assert span.schema_version == 2 and (span.span_start_ms, span.span_end_ms) == (0, 34_000)
    assert span.payload["sightings"] == 35
    done = await SqlTaskRepository(db).get(task.task_id)
    assert (done.progress.done_ms, done.progress.total_ms, done.progress.percent) == (35_000, 35_000, 100.0)
    assert await SqlTaskRepository(db).segments(task.task_id) == [], "completion drops the segments"
    await deps.close()


async def test_a_killed_run_resumes_at_the_first_segment_not_stored(db, redis, migrated_url, valkey) -> None:
    settings = WorkerSettings(DATABASE_URL=migrated_url, REDIS_URL=valkey.url, **SEGMENTED)
    ml = WindowedML(35_000, script={20_000: Killed()})
    deps, task, v = await setup(db, redis, settings, ml)
    repo = SqlTaskRepository(db)
    with pytest.raises(Killed):
        await run_task(ctx(deps, task), task.task_id)
    stopped = await repo.get(task.task_id)
    assert stopped.status is TaskStatus.RUNNING and stopped.progress.done_ms == 20_000
    assert stopped.progress.percent == round(100 * 20 / 35, 1) and stopped.progress.eta_s is not None
    assert [(s.start_ms, s.end_ms) for s in await repo.segments(task.task_id)] == [(0, 10_000), (10_000, 20_000)]
    # the reconciler finds the lease expired: back to PENDING, and a worker runs the job again
    await repo.apply(task.task_id, Event.REQUEUE, utcnow(), error="re-run: its worker stopped renewing its lease")
    assert (await run_task(ctx(deps, task), task.task_id))["outcome"] == "completed"
    assert ml.windows[3:] == [(20_000, 30_000), (30_000, 40_000)], "only the unfinished segment is repeated"
    [span] = (await SqlArtifactRepository(db).query(ArtifactQuery(video_id=v.video_id))).items
    assert (span.span_start_ms, span.span_end_ms, span.payload["sightings"]) == (0, 34_000, 35)
    await deps.close()


async def test_the_ml_service_going_away_mid_run_waits_and_goes_on(db, redis, migrated_url, valkey) -> None:
    settings = WorkerSettings(DATABASE_URL=migrated_url, REDIS_URL=valkey.url, RETRY_BASE_DELAY_SECONDS=0,
                              **SEGMENTED)
    ml = WindowedML(35_000, script={10_000: MLUnavailable("ML service unreachable (ConnectError)")})
    deps, task, _ = await setup(db, redis, settings, ml)
    assert (await run_task(ctx(deps, task), task.task_id))["outcome"] == "completed"
    assert [w[0] for w in ml.windows] == [0, 10_000, 10_000, 20_000, 30_000]
    assert (await SqlTaskRepository(db).get(task.task_id)).attempts == 1
    await deps.close()


async def test_cancel_mid_run_stops_after_the_segment_and_drops_the_run(db, redis, migrated_url, valkey) -> None:
    settings = WorkerSettings(DATABASE_URL=migrated_url, REDIS_URL=valkey.url, **SEGMENTED)
    ml = WindowedML(35_000, hold_at=10_000)
    deps, task, v = await setup(db, redis, settings, ml)
    repo = SqlTaskRepository(db)
    job = asyncio.create_task(run_task(ctx(deps, task), task.task_id))
    await asyncio.wait_for(ml.held.wait(), 10)
    await repo.apply(task.task_id, Event.CANCEL, utcnow())  # the API cancels; the segment's answer comes after
    ml.release.set()
    assert (await job)["outcome"] == "discarded"
    assert ml.windows == [(0, 10_000), (10_000, 20_000)], "no segment after the cancel"
    assert (await repo.get(task.task_id)).status is TaskStatus.CANCELLED
    assert await repo.segments(task.task_id) == [] and (
        await SqlArtifactRepository(db).query(ArtifactQuery(video_id=v.video_id))).total == 0
    # a retry is a new run, from the start
    retried = await repo.apply(task.task_id, Event.RETRY, utcnow())
    assert retried.progress.done_ms == 0
    ml.hold_at = None
    assert (await run_task(ctx(deps, task), task.task_id))["outcome"] == "completed"
    assert ml.windows[2] == (0, 10_000)
    await deps.close()


async def test_an_analysis_the_ml_service_cannot_run_ends_blocked_with_why(db, redis, migrated_url, valkey) -> None:
    """A 424 (no trained weights) mid-run: no retry, no failure, nothing stored; BLOCKED
    with the ML service's message, its segments dropped (it runs from the start once it can)."""
    settings = WorkerSettings(DATABASE_URL=migrated_url, REDIS_URL=valkey.url, **SEGMENTED)
    why = "no trained weights for ocr: run `reelscan-ml models pull ocr`"
    ml = WindowedML(35_000, script={10_000: MLNotRunnable(why, "untrained")})
    deps, task, v = await setup(db, redis, settings, ml)
    repo = SqlTaskRepository(db)
    assert await run_task(ctx(deps, task), task.task_id) == {"outcome": "blocked", "error": why}
    blocked = await repo.get(task.task_id)
    assert (blocked.status, blocked.error, blocked.attempts) == (TaskStatus.BLOCKED, why, 1)
    assert blocked.completed_at is not None and await repo.segments(task.task_id) == []
    assert (await SqlArtifactRepository(db).query(ArtifactQuery(video_id=v.video_id))).total == 0
    # a duplicate job of it is skipped; a retry runs it from the start
    assert (await run_task(ctx(deps, task), task.task_id))["outcome"] == "skipped"
    await repo.apply(task.task_id, Event.RETRY, utcnow())
    assert (await run_task(ctx(deps, task), task.task_id))["outcome"] == "completed"
    assert [w[0] for w in ml.windows] == [0, 10_000, 0, 10_000, 20_000, 30_000]
    await deps.close()


async def test_a_result_postgresql_refuses_fails_the_task_instead_of_retrying(db, redis, settings) -> None:
    """A NUL character passes validation but PostgreSQL cannot store it (SQLSTATE 22P05):
    retrying would refuse it forever, so the task fails at once with the database's reason."""
    items = [ocr_item(0), ocr_item(1000, "NUL\x00BYTE")]
    deps, task, v = await setup(db, redis, settings, FakeMLClient(response(items=items)))
    result = await run_task(ctx(deps, task, 1), task.task_id)
    failed = await SqlTaskRepository(db).get(task.task_id)
    assert result["outcome"] == "failed" and failed.status is TaskStatus.FAILED, (result, failed)
    assert "SQLSTATE 22" in failed.error and failed.attempts == 1
    assert (await SqlArtifactRepository(db).query(ArtifactQuery(video_id=v.video_id))).total == 0
    await deps.close()
