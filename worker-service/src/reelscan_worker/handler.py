"""The job: run one task through the ML service, a segment at a time
(``segmented``), and persist its artifacts.

Outcomes (``outcomes.Outcome``), and why:
- task missing, COMPLETED, CANCELLED or FAILED -> skip (a stale or duplicate job);
- PostgreSQL refuses the result itself (a data, constraint or size error: retrying cannot
  help) -> FAILED with its message;
- ML unreachable / 503 / 504, or PostgreSQL unreachable -> back to PENDING and
  ``Retry`` with exponential backoff, until ``max_tries``, then FAILED (once this job
  has stored a segment, it waits and tries the segment again itself, keeping the task
  RUNNING); the retry resumes at the first segment not stored;
- the ML service cannot run the analysis (424: no trained weights, ALLOW_UNTRAINED off)
  -> BLOCKED with its message (no retry; the reconciler re-runs it once the analysis can run);
- any other ML error, or a payload that fails validation -> FAILED, with the message;
- cancelled by the API (row already CANCELLED) -> stays CANCELLED, nothing written;
- cancelled by shutdown -> back to PENDING for arq (or the reconciler) to re-run;
- a segment that runs past ARQ_JOB_TIMEOUT -> FAILED with the timeout.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from arq import Retry
from sqlalchemy.exc import SQLAlchemyError
from structlog.contextvars import bound_contextvars

from reelscan_shared.adapters.db.engine import permanent_error
from reelscan_shared.domain.clock import utcnow
from reelscan_shared.domain.tasks import Event, Task, TaskStatus
from reelscan_shared.logging import get_logger
from reelscan_shared.metrics import JOBS_IN_PROGRESS, TASK_DURATION
from reelscan_shared.ports.ml import MLError, MLNotRunnable, MLUnavailable
from reelscan_worker.bootstrap import WorkerDeps
from reelscan_worker.envelopes import InvalidPayload
from reelscan_worker.lease import hold_lease
from reelscan_worker.outcomes import JobOutcome, Outcome, record
from reelscan_worker.segmented import SegmentedRun, SegmentTimedOut, backoff_s
from reelscan_worker.settings import JOB_CEILING_S

log = get_logger(__name__)
# Any SQLAlchemy error here means the database went away mid-job (connection
# reset, pending rollback after a dropped connection, "the database is starting up").
DATABASE_ERRORS = (SQLAlchemyError, OSError, TimeoutError)


class TaskRunner:
    def __init__(self, deps: WorkerDeps) -> None:
        self.deps = deps
        self.s = deps.settings

    async def run(self, task_id: str, job_id: str, job_try: int) -> JobOutcome:
        try:
            return await self._run(task_id, job_id, job_try)
        except DATABASE_ERRORS as exc:
            refused = permanent_error(exc)
            if refused is not None:
                return await self._refused_by_database(task_id, f"the database refused the result ({refused})", exc)
            if job_try >= self.s.max_tries:
                raise  # arq records the failure; the reconciler brings the row in line
            delay = backoff_s(job_try, self.s.retry_base_delay_s, self.s.retry_max_delay_s)
            log.warning("database_unavailable_retrying", error=str(exc)[:300], defer_s=delay)
            raise Retry(defer=delay) from exc

    async def _refused_by_database(self, task_id: str, message: str, exc: BaseException) -> JobOutcome:
        """A write PostgreSQL will refuse every time (a value it cannot store): FAILED with
        its message, not retried as an outage. Nothing of the refused transaction was kept."""
        log.error("database_refused_result", error=message)
        task = await self.deps.tasks.apply(task_id, Event.FAIL, utcnow(), error=message)
        if task is None:
            raise exc  # not running (the task never started, or is gone): arq's own retry decides
        return record(JobOutcome(Outcome.FAILED, task.task_type, error=message))

    async def _run(self, task_id: str, job_id: str, job_try: int) -> JobOutcome:
        # The common case in one transaction: start the task and learn its video's path.
        start = await self.deps.tasks.start(task_id, utcnow())
        if start is None:
            return record(await self._not_started(task_id))
        started, video_path = start
        with bound_contextvars(video_id=started.video_id, task_type=started.task_type.value):
            log.info("job_consumed", attempt=started.attempts, job_try=job_try)
            t0 = time.monotonic()
            JOBS_IN_PROGRESS.inc()
            try:
                async with hold_lease(self.deps.redis, job_id, self.s.lease_ttl_s):
                    outcome = record(await self._execute(started, video_path, job_try))
            except asyncio.CancelledError:
                record(await asyncio.shield(self._on_cancelled(started, time.monotonic() - t0)))
                raise
            finally:
                JOBS_IN_PROGRESS.dec()
                TASK_DURATION.labels(started.task_type.value).observe(time.monotonic() - t0)
            log.info(f"job_{outcome.outcome}", duration_s=round(time.monotonic() - t0, 3), **outcome.log_fields())
            return outcome

    async def _not_started(self, task_id: str) -> JobOutcome:
        """Why a job's task could not start: a stale or duplicate job, most likely."""
        task = await self.deps.tasks.get(task_id)
        if task is None:
            log.warning("task_missing")
            return JobOutcome(Outcome.MISSING)
        if task.status.is_terminal:
            log.info("job_skipped", status=task.status.value)
            return JobOutcome(Outcome.SKIPPED, task.task_type, status=task.status.value)
        return JobOutcome(Outcome.SKIPPED, task.task_type, status="changed concurrently")

    async def _execute(self, task: Task, video_path: str, job_try: int) -> JobOutcome:
        run = SegmentedRun(self.deps, task, video_path)
        try:
            segments = await run.segments()
        except MLUnavailable as exc:
            if job_try >= self.s.max_tries:
                return await self._fail(task, f"gave up after {job_try} attempts: {exc}")
            # The service's Retry-After when it gave one (it knows its queue), never less than our backoff.
            delay = max(backoff_s(job_try, self.s.retry_base_delay_s, self.s.retry_max_delay_s),
                        min(exc.retry_after_s or 0.0, self.s.retry_max_delay_s))
            await self.deps.tasks.apply(task.task_id, Event.REQUEUE, utcnow(),
                                        error=f"attempt {job_try} failed, retrying in {delay:.0f}s: {exc}")
            log.warning("job_retrying", error=str(exc), defer_s=delay)
            record(JobOutcome(Outcome.RETRIED, task.task_type, error=str(exc)))
            raise Retry(defer=delay) from exc
        except MLNotRunnable as exc:
            return await self._block(task, str(exc))
        except (MLError, SegmentTimedOut) as exc:
            return await self._fail(task, str(exc))
        except InvalidPayload as exc:
            return await self._fail(task, f"invalid result: {exc}")
        if segments is None:
            return JobOutcome(Outcome.DISCARDED, task.task_type)  # cancelled meanwhile: nothing more stored
        try:
            envelopes = run.artifacts(segments)
        except InvalidPayload as exc:
            return await self._fail(task, f"invalid result: {exc}")
        profile = segments[0].provenance.model_profile if segments else None
        if not await self.deps.tasks.complete_with_artifacts(task.task_id, envelopes, utcnow(), profile):
            return JobOutcome(Outcome.DISCARDED, task.task_type)  # cancelled meanwhile: nothing written
        return JobOutcome(Outcome.COMPLETED, task.task_type, artifacts=len(envelopes))

    async def _fail(self, task: Task, message: str) -> JobOutcome:
        await self.deps.tasks.apply(task.task_id, Event.FAIL, utcnow(), error=message)
        return JobOutcome(Outcome.FAILED, task.task_type, error=message)

    async def _block(self, task: Task, message: str) -> JobOutcome:
        await self.deps.tasks.apply(task.task_id, Event.BLOCK, utcnow(), error=message)
        log.warning("task_blocked", reason=message)
        return JobOutcome(Outcome.BLOCKED, task.task_type, error=message)

    async def _on_cancelled(self, task: Task, elapsed_s: float) -> JobOutcome:
        current = await self.deps.tasks.get(task.task_id)
        if current is None or current.status is not TaskStatus.RUNNING:
            log.info("job_cancelled", status=current.status.value if current else None)
            return JobOutcome(Outcome.CANCELLED, task.task_type)
        if elapsed_s >= JOB_CEILING_S - 1:
            return await self._fail(task, f"ran for more than {JOB_CEILING_S} s")
        await self.deps.tasks.apply(task.task_id, Event.REQUEUE, utcnow(), error="worker shut down mid-task")
        log.info("job_requeued_on_shutdown")
        return JobOutcome(Outcome.REQUEUED, task.task_type)


async def run_task(ctx: dict[str, Any], task_id: str) -> dict[str, Any]:
    """The arq job function (job id ``ml_{task_id}``)."""
    # A request id per attempt: the ML client sends it as X-Request-ID, so the ML
    # service's log lines for this job carry it too.
    with bound_contextvars(task_id=task_id, job_id=ctx["job_id"], request_id=uuid.uuid4().hex):
        outcome = await TaskRunner(ctx["deps"]).run(task_id, ctx["job_id"], ctx["job_try"])
        return outcome.result()
