"""The job queue on arq/Valkey.

arq details this adapter handles:
- the job id is ``ml_{task_id}``; arq refuses a second job with the same id while
  it is queued, running, or its result is still kept, which makes enqueue idempotent;
- ``requeue`` (for retry) deletes the kept result and any abort marker first: a
  stale marker would abort the new job (python-arq/arq#485);
- worker liveness is arq's own health-check key, refreshed by live workers;
- a job a worker has taken carries arq's in-progress marker, set to expire
  ``job_timeout + 10 s`` after it was taken (what is left of it tells its age);
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
from reelscan_shared.domain.tasks import Task

T = TypeVar("T")
JOB_FUNCTION = "run_task"
ARQ_IN_PROGRESS_EXTRA_S = 10  # arq's worker: in_progress_timeout_s = job_timeout + 10
ENQUEUE_BATCH = 500

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
                    await self._enqueue_if_absent(keys=keys, args=[job, expires_extra_ms, task.job_id, now_ms],
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

    async def worker_alive(self, queue: str) -> bool:
        return bool(await self._bounded(self.pool.exists(queue + health_check_key_suffix)))

    async def ping(self) -> None:
        await self._bounded(self.pool.ping())

    async def close(self) -> None:
        await self.pool.aclose()
