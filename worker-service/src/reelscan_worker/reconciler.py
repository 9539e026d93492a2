"""The reconciler: repairs tasks whose jobs were lost, from definitive signals only.

PostgreSQL is the truth; Valkey may lose everything. Signals acted on:
- PENDING task with no arq job                  -> enqueue it;
- PENDING task whose job a worker took, then died before starting it (arq's
  in-progress marker older than a lease period, no lease) -> clear the marker;
- RUNNING task whose job no longer exists       -> back to PENDING, enqueue;
- RUNNING task whose worker lease expired       -> clear arq's in-progress marker,
  back to PENDING, enqueue (arq alone would wait job_timeout + 10 s, arq#343);
- RUNNING task whose arq result is final        -> COMPLETED if its artifacts are
  there, else back to PENDING and re-run.
- BLOCKED task (its analysis could not run: no trained weights) whose analysis the
  ML service's /health now says it can run -> back to PENDING, enqueue.
PENDING tasks of a paused queue are left alone; RUNNING ones are still repaired.
A task running longer than TASK_ALERT_AFTER is logged and counted, never killed.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from reelscan_shared.domain.clock import utcnow
from reelscan_shared.domain.tasks import Event, Task, TaskStatus
from reelscan_shared.logging import get_logger
from reelscan_shared.metrics import LONG_RUNNING_TASKS, RECONCILER_ACTIONS
from reelscan_shared.ports.ml import MLUnavailable
from reelscan_worker.bootstrap import WorkerDeps
from reelscan_worker.lease import WORKER_ID, lease_held
from reelscan_worker.settings import JOB_CEILING_S

log = get_logger(__name__)
LOCK_KEY = "reelscan:reconciler-lock"


class Reconciler:
    def __init__(self, deps: WorkerDeps) -> None:
        self.deps = deps
        self.s = deps.settings

    async def run_exclusive(self, running_only: bool = False) -> dict[str, int] | None:
        """Run once unless another worker holds the lock; None when skipped."""
        key = LOCK_KEY + (":running" if running_only else "")
        if not await self.deps.redis.set(key, WORKER_ID, nx=True, ex=300):
            return None
        try:
            return await self.run_once(running_only)
        finally:
            await self.deps.redis.delete(key)

    async def run_once(self, running_only: bool = False) -> dict[str, int]:
        """The full pass; ``running_only`` checks just the RUNNING tasks (lost jobs,
        expired leases), cheap enough to run every lease period."""
        counts: Counter[str] = Counter()
        if not running_only:
            paused = {q for q in {t.queue for t in pending} if await self.deps.queue.paused(q)} if (
                pending := await self.deps.tasks.with_status(TaskStatus.PENDING, limit=10_000)) else set()
            for task in pending:
                if task.queue not in paused:  # an operator paused it: its waiting jobs are left as they are
                    await self._pending(task, counts)
            await self._blocked(counts)
        for task in await self.deps.tasks.with_status(TaskStatus.RUNNING, limit=10_000):
            await self._running(task, counts)
        result = dict(counts)
        if result or not running_only:
            log.info("reconcile_finished", running_only=running_only, **result)
        return result

    async def _pending(self, task: Task, counts: Counter[str]) -> None:
        state = await self.deps.queue.job_state(task.job_id, task.queue)
        if state == "not_found":
            await self.deps.queue.enqueue(task)
            self._acted("enqueued_pending", task, counts, state)
        elif state == "complete":
            # A finished job's kept result would block a fresh enqueue of this task.
            await self.deps.queue.requeue(task)
            self._acted("requeued_pending", task, counts, state)
        elif state == "in_progress" and await self._taken_but_never_started(task):
            # The worker that took the job died before it started the task: release
            # arq's marker so another worker takes the job (it is still queued).
            await self.deps.queue.clear_in_progress(task.job_id)
            self._acted("released_abandoned_job", task, counts, state)

    async def _blocked(self, counts: Counter[str]) -> None:
        """BLOCKED tasks run again once the ML service can run their analysis (weights
        pulled, or ALLOW_UNTRAINED set); its /health is asked only when there are some."""
        blocked = await self.deps.tasks.with_status(TaskStatus.BLOCKED, limit=10_000)
        if not blocked:
            return
        try:
            runnable = await self.deps.ml.runnable_analyses()
        except MLUnavailable as exc:
            log.warning("blocked_tasks_not_checked", tasks=len(blocked), error=str(exc))
            return
        for task in blocked:
            if task.task_type not in runnable:
                continue
            retried = await self.deps.tasks.apply(task.task_id, Event.RETRY, utcnow(),
                                                  error=f"re-run: {task.task_type.value} can run now")
            if retried is not None:
                await self.deps.queue.requeue(retried)
                self._acted("unblocked", task, counts, "blocked")

    async def _taken_but_never_started(self, task: Task) -> bool:
        """arq marked the job in progress more than a lease period ago, and no worker holds
        its lease (a live worker takes the lease right after starting the task)."""
        if await lease_held(self.deps.redis, task.job_id):
            return False
        age_s = await self.deps.queue.in_progress_age_s(task.job_id, JOB_CEILING_S)
        return age_s is not None and age_s > self.s.lease_ttl_s

    async def _running(self, task: Task, counts: Counter[str]) -> None:
        now = utcnow()
        started = task.started_at or now
        if now - started > timedelta(seconds=self.s.task_alert_after_s):
            LONG_RUNNING_TASKS.inc()
            log.warning("task_running_long", task_id=task.task_id, job_id=task.job_id,
                        running_s=int((now - started).total_seconds()))
            counts["long_running_alerts"] += 1
        state = await self.deps.queue.job_state(task.job_id, task.queue)
        if state == "not_found":
            await self._rerun(task, "its job was lost (Valkey data loss)")
            self._acted("reset_lost_job", task, counts, state)
        elif state == "in_progress":
            lease_grace = timedelta(seconds=self.s.lease_ttl_s)
            if now - started > lease_grace and not await lease_held(self.deps.redis, task.job_id):
                await self.deps.queue.clear_in_progress(task.job_id)
                await self._rerun(task, "its worker stopped renewing its lease")
                self._acted("reset_expired_lease", task, counts, state)
        elif state == "complete":
            # Only this run's artifacts count: a re-run keeps the previous run's until it completes.
            if await self.deps.tasks.artifact_count(task.task_id, since=task.started_at) > 0:
                await self.deps.tasks.apply(task.task_id, Event.COMPLETE, now)
                self._acted("marked_completed", task, counts, state)
            else:
                await self._rerun(task, "its job finished without recording a result")
                self._acted("rerun_finished_job", task, counts, state)

    async def _rerun(self, task: Task, reason: str) -> None:
        requeued = await self.deps.tasks.apply(task.task_id, Event.REQUEUE, utcnow(), error=f"re-run: {reason}")
        if requeued is not None:
            await self.deps.queue.requeue(requeued)

    @staticmethod
    def _acted(action: str, task: Task, counts: Counter[str], job_state: str) -> None:
        counts[action] += 1
        RECONCILER_ACTIONS.labels(action).inc()
        log.info("reconcile_action", action=action, task_id=task.task_id, job_id=task.job_id, job_state=job_state)
