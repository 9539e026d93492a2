"""The job queue on arq/Valkey.

arq details this adapter handles:
- the job id is ``ml_{task_id}``; arq refuses a second job with the same id while
  it is queued, running, or its result is still kept, which makes enqueue idempotent;
- ``requeue`` (for retry) deletes the kept result and any abort marker first: a
  stale marker would abort the new job (python-arq/arq#485);
- worker liveness is arq's own health-check key, refreshed by live workers;
- a job a worker has taken carries arq's in-progress marker, set to expire
  ``job_timeout + 10 s`` after it was taken (what is left of it tells its age);
- priority is the job's score in arq's queue (a sorted set that workers read in score
  order, up to "now"): ``score = enqueue time - PRIORITY_HEADSTART[priority]``, so every
  high job sorts before normal ones and normal before low, each in arrival order, and
  all stay due (a score in the future would defer the job);
- a paused queue is a Valkey key the workers check before taking jobs (worker.py);
- ``enqueue_many`` writes arq's job format itself, in pipelined batches, with the
  same "not if it exists" rule as ``ArqRedis.enqueue_job`` made atomic by a Lua
  script: one round trip per batch instead of three per job (60,000 jobs from a
  large discovery would otherwise take a minute).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Sequence
from typing import TypeVar

from arq.connections import ArqRedis, RedisSettings
from arq.constants import (
    abort_jobs_ss,
    expires_extra_ms,
    health_check_key_suffix,
    in_progress_key_prefix,
    job_key_prefix,
    result_key_prefix,
)
from arq.jobs import Job, serialize_job
from redis.exceptions import RedisError

from reelscan_shared.domain.errors import QueueUnavailable
from reelscan_shared.domain.tasks import Priority, Task

T = TypeVar("T")
JOB_FUNCTION = "run_task"
ARQ_IN_PROGRESS_EXTRA_S = 10  # arq's worker: in_progress_timeout_s = job_timeout + 10
ENQUEUE_BATCH = 500
_CENTURY_MS = 100 * 365 * 24 * 3600 * 1000  # far more than any job waits; scores stay exact doubles
PRIORITY_HEADSTART = {Priority.HIGH: 2 * _CENTURY_MS, Priority.NORMAL: _CENTURY_MS, Priority.LOW: 0}
PAUSED_KEY = "reelscan:paused:"  # + queue name: present while the queue is paused
WORKER_KEY = "reelscan:worker:"  # + queue name + ":" + worker id: refreshed while the worker lives


def worker_key(queue: str, worker_id: str) -> str:
    return f"{WORKER_KEY}{queue}:{worker_id}"


def priority_score(priority: Priority, now_ms: int) -> int:
    return now_ms - PRIORITY_HEADSTART[priority]


def priority_of_score(score: float, now_ms: int) -> Priority:
    """The priority a job was queued with (the inverse of priority_score, to the century)."""
    headstart = now_ms - score
    if headstart > 1.5 * _CENTURY_MS:
        return Priority.HIGH
    return Priority.NORMAL if headstart > 0.5 * _CENTURY_MS else Priority.LOW

# KEYS: job key, result key, queue; ARGV: serialized job, expiry (ms), job id, score.
# Exactly what ArqRedis.enqueue_job does under WATCH, as one atomic step.
ENQUEUE_IF_ABSENT = """
if redis.call('exists', KEYS[1], KEYS[2]) > 0 then return 0 end
redis.call('psetex', KEYS[1], ARGV[2], ARGV[1])
redis.call('zadd', KEYS[3], ARGV[4], ARGV[3])
return 1
"""


def redis_settings(url: str, *, conn_timeout: int = 3, conn_retries: int = 2) -> RedisSettings:
    settings = RedisSettings.from_dsn(url)
    settings.conn_timeout = conn_timeout
    settings.conn_retries = conn_retries
    settings.conn_retry_delay = 0.5  # type: ignore[assignment]  # arq says int; it sleeps any number
    return settings


class ArqJobQueue:
    def __init__(self, pool: ArqRedis, op_timeout: float = 3.0) -> None:
        self.pool = pool
        self._timeout = op_timeout
        self._enqueue_if_absent = pool.register_script(ENQUEUE_IF_ABSENT)

    async def _bounded(self, coro: Awaitable[T]) -> T:
        try:
            return await asyncio.wait_for(coro, self._timeout)
        except (OSError, TimeoutError, RedisError) as exc:
            raise QueueUnavailable(f"Valkey is unreachable: {exc or type(exc).__name__}") from exc

    async def enqueue(self, task: Task) -> bool:
        return (await self.enqueue_many([task]))[0]

    async def enqueue_many(self, tasks: Sequence[Task]) -> list[bool]:
        created: list[bool] = []
        for start in range(0, len(tasks), ENQUEUE_BATCH):
            batch = tasks[start:start + ENQUEUE_BATCH]
            now_ms = int(time.time() * 1000)
            async with self.pool.pipeline(transaction=False) as pipe:
                for task in batch:
                    job = serialize_job(JOB_FUNCTION, (task.task_id,), {}, None, now_ms,
                                        serializer=self.pool.job_serializer)
                    keys = [job_key_prefix + task.job_id, result_key_prefix + task.job_id, task.queue]
                    score = priority_score(task.priority, now_ms)
                    await self._enqueue_if_absent(keys=keys, args=[job, expires_extra_ms, task.job_id, score],
                                                  client=pipe)
                results = await self._bounded(pipe.execute())
            created.extend(bool(r) for r in results)
        return created

    async def requeue(self, task: Task) -> bool:
        async def clear_finished_job() -> bool:
            # A job still queued or running keeps its id; only a finished job is cleared.
            if await self.pool.exists(in_progress_key_prefix + task.job_id):
                return False
            async with self.pool.pipeline(transaction=True) as pipe:
                pipe.delete(result_key_prefix + task.job_id)
                pipe.zrem(abort_jobs_ss, task.job_id)
                await pipe.execute()
            return True

        return await self._bounded(clear_finished_job()) and await self.enqueue(task)

    async def abort(self, task: Task) -> None:
        # Job.abort(timeout=0) would wait for the result; we only need the marker set.
        # arq's worker reads the marker: a queued job is dropped before it starts,
        # a running one is cancelled.
        await self._bounded(self.pool.zadd(abort_jobs_ss, {task.job_id: int(time.time() * 1000)}))

    async def job_state(self, job_id: str, queue: str) -> str:
        status = await self._bounded(Job(job_id, self.pool, _queue_name=queue).status())
        return status.value

    async def in_progress_age_s(self, job_id: str, job_timeout_s: float) -> float | None:
        left_ms = int(await self._bounded(self.pool.pttl(in_progress_key_prefix + job_id)))
        if left_ms < 0:  # no marker (-2), or one without expiry (-1): not arq's
            return None
        return job_timeout_s + ARQ_IN_PROGRESS_EXTRA_S - left_ms / 1000

    async def clear_in_progress(self, job_id: str) -> None:
        await self._bounded(self.pool.delete(in_progress_key_prefix + job_id))

    async def depth(self, queue: str) -> int:
        return int(await self._bounded(self.pool.zcard(queue)))

    async def reprioritize(self, tasks: Sequence[Task]) -> int:
        """Move queued jobs to their task's priority (ZADD XX: a job not queued is not added)."""
        now_ms = int(time.time() * 1000)
        async with self.pool.pipeline(transaction=False) as pipe:
            for task in tasks:
                pipe.zadd(task.queue, {task.job_id: priority_score(task.priority, now_ms)}, xx=True, ch=True)
            changed = await self._bounded(pipe.execute())
        return sum(int(c) for c in changed)

    async def depth_by_priority(self, queue: str) -> dict[Priority, int]:
        now_ms = int(time.time() * 1000)
        high_end, normal_end = now_ms - 1.5 * _CENTURY_MS, now_ms - 0.5 * _CENTURY_MS
        bounds: dict[Priority, tuple[float | str, float | str]] = {
            Priority.HIGH: ("-inf", f"({high_end}"), Priority.NORMAL: (high_end, f"({normal_end}"),
            Priority.LOW: (normal_end, "+inf")}
        async with self.pool.pipeline(transaction=False) as pipe:
            for low, high in bounds.values():
                pipe.zcount(queue, low, high)
            counts = await self._bounded(pipe.execute())
        return {p: int(n) for p, n in zip(bounds, counts, strict=True)}

    async def workers(self, queue: str) -> int:
        """Live workers of the queue (each refreshes its own key; a dead one's expires)."""
        async def count() -> int:
            return len([k async for k in self.pool.scan_iter(match=worker_key(queue, "*"), count=100)])

        return await self._bounded(count())

    async def set_paused(self, queue: str, paused: bool) -> None:
        await self._bounded(self.pool.set(PAUSED_KEY + queue, "1") if paused else self.pool.delete(PAUSED_KEY + queue))

    async def paused(self, queue: str) -> bool:
        return bool(await self._bounded(self.pool.exists(PAUSED_KEY + queue)))

    async def worker_alive(self, queue: str) -> bool:
        return bool(await self._bounded(self.pool.exists(queue + health_check_key_suffix)))

    async def ping(self) -> None:
        await self._bounded(self.pool.ping())

    async def close(self) -> None:
        await self.pool.aclose()
