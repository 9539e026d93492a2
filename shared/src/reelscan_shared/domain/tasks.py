"""Tasks: one analysis of one video, and the state machine they follow.

    PENDING --start--> RUNNING --complete--> COMPLETED
       ^                  |  \\--fail--> FAILED ----retry--+
       |                  +--block--> BLOCKED ---retry---+  (its model has no trained weights;
       |                  +--cancel--> CANCELLED --retry---+   retried once the ML service can run it)
       +---------------------------------------------------+
    any status --rerun--> PENDING (a new run: new content, new config, reprocessing)

The transition table below, applied by ``Task.apply``, is the single source of
truth; the database adapter locks the row, calls ``Task.apply`` and writes the
result, so concurrent actors (API, workers, reconciler) can never leave a row in
a state the table does not allow.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from reelscan_shared.domain.errors import InvalidTransition


class TaskStatus(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    # The ML service cannot run its analysis (no trained weights): finished for now, the
    # error says why and what fixes it; the reconciler retries it once the analysis can run.
    BLOCKED = "blocked"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_STATUSES


class TaskType(enum.StrEnum):
    OBJECT_DETECTION = "object_detection"
    FACE_DETECTION = "face_detection"
    TRANSCRIPTION = "transcription"
    OCR = "ocr"
    PLACE_DETECTION = "place_detection"
    SCENE_DETECTION = "scene_detection"


TERMINAL_STATUSES = frozenset({TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.CANCELLED, TaskStatus.BLOCKED})


class Event(enum.StrEnum):
    """Lifecycle events; each maps to exactly one target status."""

    START = "start"
    REQUEUE = "requeue"  # a running attempt gave up its slot (transient error, lost worker)
    COMPLETE = "complete"
    FAIL = "fail"
    BLOCK = "block"  # the ML service refused: the analysis cannot run here yet (no trained weights)
    CANCEL = "cancel"
    RETRY = "retry"
    RERUN = "rerun"  # analyse again from the start; the last results stay until the new ones replace them


class Priority(enum.StrEnum):
    """Where a task's job stands in its queue: every high job before normal ones, normal
    before low (adapters/queue.py turns it into arq's score)."""

    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


# event -> (statuses it may be applied in, status it leads to)
TRANSITIONS: dict[Event, tuple[frozenset[TaskStatus], TaskStatus]] = {
    # RUNNING -> RUNNING: arq re-delivers a job whose worker died mid-run.
    Event.START: (frozenset({TaskStatus.PENDING, TaskStatus.RUNNING}), TaskStatus.RUNNING),
    Event.REQUEUE: (frozenset({TaskStatus.RUNNING}), TaskStatus.PENDING),
    Event.COMPLETE: (frozenset({TaskStatus.RUNNING}), TaskStatus.COMPLETED),
    Event.FAIL: (frozenset({TaskStatus.PENDING, TaskStatus.RUNNING}), TaskStatus.FAILED),
    Event.BLOCK: (frozenset({TaskStatus.PENDING, TaskStatus.RUNNING}), TaskStatus.BLOCKED),
    Event.CANCEL: (frozenset({TaskStatus.PENDING, TaskStatus.RUNNING}), TaskStatus.CANCELLED),
    Event.RETRY: (frozenset({TaskStatus.FAILED, TaskStatus.CANCELLED, TaskStatus.BLOCKED}), TaskStatus.PENDING),
    # A running attempt loses its run: its next segment or its completion finds the
    # task no longer RUNNING and stores nothing (handler.py).
    Event.RERUN: (frozenset(TaskStatus), TaskStatus.PENDING),
}


def target_of(event: Event) -> TaskStatus:
    return TRANSITIONS[event][1]


@dataclass(frozen=True)
class Progress:
    """How far a task's run has got through its video, and when it should end.

    ``done_ms``: where the part analysed so far ends; ``total_ms``: the video's length,
    once the ML service has said it; ``spent_ms``: the analysis time those parts took.
    The ETA is the rest at the rate measured so far.
    """

    done_ms: int = 0
    total_ms: int | None = None
    spent_ms: int = 0

    @property
    def percent(self) -> float | None:
        if not self.total_ms:
            return None
        return round(min(100.0, 100.0 * self.done_ms / self.total_ms), 1)

    @property
    def eta_s(self) -> float | None:
        if not self.total_ms or not self.done_ms:
            return None
        return round(max(self.total_ms - self.done_ms, 0) * self.spent_ms / self.done_ms / 1000, 1)


def job_id_for(task_id: str) -> str:
    """The arq job id of a task; stable, so enqueueing a live task twice is a no-op."""
    return f"ml_{task_id}"


@dataclass(frozen=True)
class Task:
    task_id: str
    video_id: str
    task_type: TaskType
    status: TaskStatus
    queue: str
    created_at: datetime
    config: dict[str, Any] = field(default_factory=dict)
    attempts: int = 0
    error: str | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    progress: Progress = field(default_factory=Progress)
    priority: Priority = Priority.NORMAL
    model_profile: str | None = None  # the model of its last completed run

    @property
    def job_id(self) -> str:
        return job_id_for(self.task_id)

    def apply(self, event: Event, now: datetime, error: str | None = None) -> Task:
        """Return the task after ``event``; raise InvalidTransition if not allowed.

        Timestamps are cleared or set so that ``created_at <= started_at <=
        completed_at`` always holds and a pending task has neither.
        """
        sources, target = TRANSITIONS[event]
        if self.status not in sources:
            raise InvalidTransition(self.task_id, self.status.value, target.value)
        if event is Event.START:
            return replace(self, status=target, started_at=now, completed_at=None,
                           attempts=self.attempts + 1, error=None)
        if event is Event.REQUEUE:  # the run goes on where it got to
            return replace(self, status=target, started_at=None, completed_at=None, error=error)
        if event in (Event.RETRY, Event.RERUN):  # a new run, from the start
            return replace(self, status=target, started_at=None, completed_at=None, error=error,
                           progress=Progress(total_ms=self.progress.total_ms))
        if event is Event.COMPLETE:
            done = replace(self.progress, done_ms=self.progress.total_ms or self.progress.done_ms)
            return replace(self, status=target, completed_at=now, error=None, progress=done)
        # FAIL / BLOCK / CANCEL: a task that never started gets started_at = completed_at.
        return replace(self, status=target, started_at=self.started_at or now,
                       completed_at=now, error=error)
