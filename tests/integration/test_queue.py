"""The arq adapter against a real Valkey."""

from arq.constants import abort_jobs_ss, in_progress_key_prefix, result_key_prefix
from arq.jobs import Job, serialize_result
from factories import task

from reelscan_shared.adapters.queue import ArqJobQueue
from reelscan_shared.domain.queues import CPU_QUEUE, GPU_QUEUE
from reelscan_shared.domain.tasks import TaskType


async def test_enqueue_is_idempotent_per_task(redis) -> None:
    q = ArqJobQueue(redis)
    t = task(task_type=TaskType.OCR)
    assert await q.enqueue(t) is True
    assert await q.enqueue(t) is False
    assert await q.depth(GPU_QUEUE) == 1 and await q.depth(CPU_QUEUE) == 0
    assert await q.job_state(t.job_id, t.queue) == "queued"


async def test_requeue_clears_kept_result_and_stale_abort_marker(redis) -> None:
    q = ArqJobQueue(redis)
    t = task(task_type=TaskType.SCENE_DETECTION)
    # What arq leaves behind after a finished (aborted) job: a kept result and an abort marker.
    result = serialize_result("run_task", (t.task_id,), {}, 1, 0, False, None, 0, 0, t.job_id, CPU_QUEUE, t.job_id)
    await redis.set(result_key_prefix + t.job_id, result)
    await redis.zadd(abort_jobs_ss, {t.job_id: 1})
    assert await q.enqueue(t) is False  # arq refuses the id while the result is kept
    assert await q.requeue(t) is True
    assert await redis.zscore(abort_jobs_ss, t.job_id) is None
    assert await q.job_state(t.job_id, t.queue) == "queued"


async def test_abort_sets_the_marker_arq_reads(redis) -> None:
    q = ArqJobQueue(redis)
    t = task()
    await q.enqueue(t)
    await q.abort(t)
    assert await redis.zscore(abort_jobs_ss, t.job_id) is not None


async def test_worker_liveness_follows_arq_health_key(redis) -> None:
    q = ArqJobQueue(redis)
    assert not await q.worker_alive(GPU_QUEUE)
    await redis.set(GPU_QUEUE + ":health-check", "ok", px=5000)
    assert await q.worker_alive(GPU_QUEUE)


async def test_enqueue_many_in_batches_writes_jobs_arq_can_read(redis) -> None:
    q = ArqJobQueue(redis)
    tasks = [task(task_type=TaskType.OCR) for _ in range(1203)]  # crosses the 500-job batches
    already = tasks[7]
    assert await q.enqueue(already) is True
    created = await q.enqueue_many(tasks)
    assert created.count(True) == 1202 and created[7] is False
    assert await q.depth(GPU_QUEUE) == 1203
    assert await q.enqueue_many(tasks[:10]) == [False] * 10
    # arq's own reader sees a normal queued job with the task id as its argument
    info = await Job(tasks[1000].job_id, redis, _queue_name=GPU_QUEUE).info()
    assert info is not None and info.function == "run_task" and info.args == (tasks[1000].task_id,)
    assert await q.job_state(tasks[1000].job_id, GPU_QUEUE) == "queued"


async def test_a_taken_jobs_age_is_read_from_arqs_marker_and_the_marker_can_be_cleared(redis) -> None:
    q = ArqJobQueue(redis)
    t = task()
    await q.enqueue(t)
    assert await q.in_progress_age_s(t.job_id, job_timeout_s=1800) is None  # queued, not taken
    # What an arq worker writes when it takes a job, as if it took this one 30 s ago.
    await redis.psetex(in_progress_key_prefix + t.job_id, (1800 + 10 - 30) * 1000, b"1")
    age = await q.in_progress_age_s(t.job_id, job_timeout_s=1800)
    assert age is not None and 30 <= age < 90  # upper bound: only a stalled machine gets near it
    assert await q.job_state(t.job_id, t.queue) == "in_progress"
    await q.clear_in_progress(t.job_id)
    assert await q.in_progress_age_s(t.job_id, job_timeout_s=1800) is None
    assert await q.job_state(t.job_id, t.queue) == "queued"  # still on the queue for another worker
