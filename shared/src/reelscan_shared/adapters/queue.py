"""The job queue on arq/Valkey.

arq details this adapter handles:
- the job id is ``ml_{task_id}``; arq refuses a second job with the same id while
  it is queued, running, or its result is still kept, which makes enqueue idempotent;
- ``requeue`` (for retry) deletes the kept result and any abort marker first: a
  stale marker would abort the new job (python-arq/arq#485);
- worker liveness is arq's own health-check key, refreshed by live workers.
"""

from __future__ import annotations

import asyncio
import time

from arq.connections import ArqRedis, RedisSettings
from arq.constants import abort_jobs_ss, health_check_key_suffix, in_progress_key_prefix, result_key_prefix
from arq.jobs import Job
from redis.exceptions import RedisError

from reelscan_shared.domain.errors import QueueUnavailable
from reelscan_shared.domain.tasks import Task

JOB_FUNCTION = "run_task"


def redis_settings(url: str, *, conn_timeout: int = 3, conn_retries: int = 2) -> RedisSettings:
    settings = RedisSettings.from_dsn(url)
    settings.conn_timeout = conn_timeout
    settings.conn_retries = conn_retries
    settings.conn_retry_delay = 0.5
    return settings


class ArqJobQueue:
    def __init__(self, pool: ArqRedis, op_timeout: float = 3.0) -> None:
        self.pool = pool
        self._timeout = op_timeout

    async def _bounded(self, coro):  # noqa: ANN001, ANN202
        try:
            return await asyncio.wait_for(coro, self._timeout)
        except (OSError, TimeoutError, RedisError) as exc:
            raise QueueUnavailable(f"Valkey is unreachable: {exc or type(exc).__name__}") from exc

    async def enqueue(self, task: Task) -> bool:
        job = await self._bounded(
            self.pool.enqueue_job(JOB_FUNCTION, task.task_id, _job_id=task.job_id, _queue_name=task.queue)
        )
        return job is not None

    async def requeue(self, task: Task) -> bool:
        async def clear_then_enqueue() -> object:
            # A job still queued or running keeps its id; only a finished job is cleared.
            if await self.pool.exists(in_progress_key_prefix + task.job_id):
                return None
            async with self.pool.pipeline(transaction=True) as pipe:
                pipe.delete(result_key_prefix + task.job_id)
                pipe.zrem(abort_jobs_ss, task.job_id)
                await pipe.execute()
            return await self.pool.enqueue_job(
                JOB_FUNCTION, task.task_id, _job_id=task.job_id, _queue_name=task.queue
            )

        return (await self._bounded(clear_then_enqueue())) is not None

    async def abort(self, task: Task) -> None:
        # Job.abort(timeout=0) would wait for the result; we only need the marker set.
        # arq's worker reads the marker: a queued job is dropped before it starts,
        # a running one is cancelled.
        await self._bounded(self.pool.zadd(abort_jobs_ss, {task.job_id: int(time.time() * 1000)}))

    async def job_state(self, job_id: str, queue: str) -> str:
        status = await self._bounded(Job(job_id, self.pool, _queue_name=queue).status())
        return status.value

    async def depth(self, queue: str) -> int:
        return int(await self._bounded(self.pool.zcard(queue)))

    async def worker_alive(self, queue: str) -> bool:
        return bool(await self._bounded(self.pool.exists(queue + health_check_key_suffix)))

    async def ping(self) -> None:
        await self._bounded(self.pool.ping())

    async def close(self) -> None:
        await self.pool.aclose()
