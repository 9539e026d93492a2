"""What became of one job: a typed value, and the one place its metrics are recorded."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from reelscan_shared.domain.tasks import TaskStatus, TaskType
from reelscan_shared.metrics import JOBS, TASKS_FINISHED


class Outcome(enum.StrEnum):
    COMPLETED = "completed"  # artifacts stored, task COMPLETED
    FAILED = "failed"  # task FAILED with a message
    BLOCKED = "blocked"  # the ML service cannot run the analysis (no trained weights): task BLOCKED, says why
    RETRIED = "retried"  # back to PENDING; arq runs the job again later
    CANCELLED = "cancelled"  # the API cancelled the task while the job ran
    DISCARDED = "discarded"  # finished, but the task was cancelled meanwhile: nothing written
    REQUEUED = "requeued"  # the worker shut down mid-task: back to PENDING
    SKIPPED = "skipped"  # a stale or duplicate job: its task is finished or changed
    MISSING = "missing"  # the job's task does not exist


# The reelscan_jobs_total label of each outcome (DISCARDED counts as a cancellation).
_JOB_LABEL = {Outcome.DISCARDED: "cancelled"}
# Outcomes that put the task in a final state, with that state.
_FINAL_STATUS = {Outcome.COMPLETED: TaskStatus.COMPLETED, Outcome.FAILED: TaskStatus.FAILED,
                 Outcome.CANCELLED: TaskStatus.CANCELLED, Outcome.BLOCKED: TaskStatus.BLOCKED}


@dataclass(frozen=True)
class JobOutcome:
    outcome: Outcome
    task_type: TaskType | None = None  # None only when the task is missing
    artifacts: int | None = None
    error: str | None = None
    status: str | None = None  # why a job was skipped: the task's status

    def result(self) -> dict[str, Any]:
        """arq's stored job result: the outcome and what is known of it."""
        fields = {"artifacts": self.artifacts, "error": self.error, "status": self.status}
        return {"outcome": self.outcome.value, **{k: v for k, v in fields.items() if v is not None}}

    def log_fields(self) -> dict[str, Any]:
        """The job's closing log line says ``artifact_count`` (an id-like ``artifacts`` reads as a list)."""
        fields = {"artifact_count": self.artifacts, "error": self.error, "status": self.status}
        return {k: v for k, v in fields.items() if v is not None}


def record(outcome: JobOutcome) -> JobOutcome:
    """Count the outcome in the worker's metrics; returns it for chaining."""
    if outcome.task_type is None:
        return outcome
    JOBS.labels(outcome.task_type.value, _JOB_LABEL.get(outcome.outcome, outcome.outcome.value)).inc()
    final = _FINAL_STATUS.get(outcome.outcome)
    if final is not None:
        TASKS_FINISHED.labels(outcome.task_type.value, final.value).inc()
    return outcome
