"""Repository ports over the source of truth (PostgreSQL)."""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from reelscan_shared.domain.artifacts import ArtifactEnvelope
from reelscan_shared.domain.segments import Segment
from reelscan_shared.domain.tasks import Event, Priority, Task, TaskStatus, TaskType
from reelscan_shared.domain.videos import Video, VideoOverview, VideoSort, VideoStatus

TaskSort = Literal["created_at", "started_at", "running_time"]
SortOrder = Literal["asc", "desc"]


@dataclass(frozen=True)
class TaskQuery:
    status: TaskStatus | None = None
    task_type: TaskType | None = None
    video_id: str | None = None
    sort: TaskSort = "created_at"
    order: SortOrder = "desc"
    limit: int = 50
    offset: int = 0
    # Keyset position (cursor pagination): the sort value and task id of the last row of
    # the previous page. Only for sort=created_at / started_at (running_time moves with
    # the clock, so a position in it is not stable).
    after: tuple[datetime | None, str] | None = None
    with_total: bool = True  # False: skip the COUNT (the caller knows the total otherwise)


@dataclass(frozen=True)
class VideoQuery:
    status: VideoStatus | None = VideoStatus.PRESENT  # None: every video
    sort: VideoSort = VideoSort.NEWEST
    label: str | None = None  # only videos where an analysis found this label (objects, faces, places)
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True)
class TaskPage:
    items: list[Task]
    total: int | None  # None when the query asked for no total
    more: bool = False  # rows exist beyond this page


@dataclass(frozen=True)
class ArtifactQuery:
    video_id: str
    artifact_type: str | None = None
    from_ms: int | None = None
    to_ms: int | None = None
    limit: int = 100
    offset: int = 0
    superseded: bool = False  # what re-runs replaced (kept with KEEP_SUPERSEDED) instead of the current results


@dataclass(frozen=True)
class ArtifactPage:
    items: list[ArtifactEnvelope]
    total: int


@dataclass(frozen=True)
class BlockedTasks:
    """An analysis's BLOCKED tasks (its model cannot run): how many, and why."""

    count: int
    reason: str | None


class VideoRepository(Protocol):
    async def get(self, video_id: str) -> Video | None: ...

    async def list(self, limit: int, offset: int, include_missing: bool = False) -> tuple[list[Video], int]:
        """Newest first; MISSING videos only with ``include_missing``."""
        ...

    async def page(self, q: VideoQuery) -> tuple[builtins.list[Video], int]:
        """The videos ``q`` selects, in its order, and how many it selects in all."""
        ...

    async def overviews(self, video_ids: Sequence[str]) -> dict[str, VideoOverview]:
        """Each video's task progress and findings, in a fixed number of queries
        however many videos are asked for."""
        ...

    async def add_with_tasks(self, video: Video, tasks: Sequence[Task]) -> bool:
        """Insert the video (at its path) and its tasks in one transaction; False if the
        library knows the path already."""
        ...

    async def add_many_with_tasks(self, entries: Sequence[tuple[Video, Sequence[Task]]]) -> set[str]:
        """Insert many videos and their tasks in one transaction; the ids of those inserted
        (videos whose path exists already are skipped)."""
        ...


class TaskRepository(Protocol):
    async def add(self, task: Task) -> None:
        """A new task of a video already registered."""
        ...

    async def get(self, task_id: str) -> Task | None: ...

    async def get_many(self, task_ids: Sequence[str]) -> list[Task]:
        """The tasks with these ids (unknown ids are left out), oldest first."""
        ...

    async def query(self, query: TaskQuery) -> TaskPage: ...

    async def apply(self, task_id: str, event: Event, now: datetime, error: str | None = None) -> Task | None:
        """Apply a lifecycle event atomically (row lock + Task.apply); None if the task's
        current status does not allow it (or the task does not exist)."""
        ...

    async def start(self, task_id: str, now: datetime) -> tuple[Task, str] | None:
        """START (as ``apply``) and the video's path, in one transaction: the worker's
        first step. None if the task cannot start (missing, finished, changed meanwhile)."""
        ...

    async def complete_with_artifacts(
        self, task_id: str, artifacts: Sequence[ArtifactEnvelope], now: datetime, model_profile: str | None = None
    ) -> bool:
        """In one transaction: replace the task's artifacts (the previous run's are readable
        until then), drop its run's segments, record the run's model profile and mark it
        COMPLETED. False (and nothing written) if the task is no longer RUNNING."""
        ...

    async def segments(self, task_id: str) -> list[Segment]:
        """The segments the task's current run has stored, in order."""
        ...

    async def add_segment(self, task_id: str, segment: Segment, now: datetime) -> Task | None:
        """Store a finished segment and the run's progress, in one transaction; the task
        with its new progress, or None (nothing stored) if it is no longer RUNNING."""
        ...

    async def restart_run(self, task_id: str) -> None:
        """Drop the run's segments and progress: the next segment is the first."""
        ...

    async def rerun(self, task_id: str, now: datetime, reason: str, priority: Priority,
                    config: dict[str, Any] | None = None) -> Task | None:
        """RERUN (as ``apply``) with a new priority and, if given, a new config, in one
        transaction; None if there is no such task."""
        ...

    async def rerun_where(self, f: RerunFilter, reason: str, priority: Priority) -> list[str]:
        """RERUN every task the filter selects (of present videos), in one statement; their ids."""
        ...

    async def prioritize_video(self, video_id: str, priority: Priority) -> list[Task]:
        """Give the video's PENDING tasks this priority; those tasks."""
        ...

    async def type_status_counts(self) -> dict[tuple[str, str], int]:
        """Tasks per (task type, status) over the whole library: one GROUP BY."""
        ...

    async def with_status(self, status: TaskStatus, limit: int = 1000) -> list[Task]: ...

    async def blocked(self) -> dict[TaskType, BlockedTasks]:
        """Per analysis with BLOCKED tasks: their count and the latest one's error."""
        ...

    async def artifact_count(self, task_id: str, since: datetime | None = None) -> int:
        """The task's artifacts (created at or after ``since``: one run's, not an earlier run's
        that a re-run keeps readable until it completes)."""
        ...


@dataclass(frozen=True)
class RerunFilter:
    """Which finished tasks POST /reprocess runs again (all given conditions hold)."""

    task_types: frozenset[TaskType]
    statuses: frozenset[TaskStatus] = frozenset({TaskStatus.COMPLETED})
    # Per analysis, the current model: a task whose last run used another (or is not
    # known) is outdated. None: any model.
    model_profile_not: Mapping[TaskType, str] | None = None
    discovered_before: datetime | None = None  # only videos discovered before this


class ArtifactRepository(Protocol):
    async def query(self, query: ArtifactQuery) -> ArtifactPage: ...
