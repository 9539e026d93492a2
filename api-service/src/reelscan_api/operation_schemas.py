"""Request and response models of the operator's actions: re-processing, priorities
and queue control (shown at /docs)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from reelscan_api.schemas import TaskOut
from reelscan_shared.domain.tasks import Priority, TaskType

Overrides = dict[TaskType, dict[str, Any]]
# PostgreSQL text cannot hold NUL: refused here (422), not by the database (503).
Profile = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[^\x00]+$")]
FinishedStatus = Literal["completed", "failed", "cancelled", "blocked"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is a 422, not silently ignored


class ReprocessVideoIn(_Strict):
    analyses: list[TaskType] | None = Field(None, min_length=1, description="Which analyses; all when absent")
    config: Overrides = Field(default_factory=dict, description="Per analysis, config fields to change (checked "
                                                                "against that analysis's config model)")
    priority: Priority = Priority.LOW


class CreateTaskIn(_Strict):
    video_id: uuid.UUID
    task_type: TaskType
    config: dict[str, Any] = Field(default_factory=dict, description="Config fields over the defaults "
                                                                     "(ANALYSIS_CONFIG's, then the model's)")
    priority: Priority = Priority.NORMAL


def _completed() -> list[FinishedStatus]:
    return ["completed"]


class ReprocessLibraryIn(_Strict):
    analyses: list[TaskType] = Field(default_factory=lambda: list(TaskType), min_length=1)
    model_profile_not: Literal["current"] | dict[TaskType, Profile] | None = Field(
        None, description='"current": tasks whose last run used another model than the ML service runs now (or an '
                          "unknown one); or per analysis, the profile to compare with")
    discovered_before: AwareDatetime | None = Field(None, description="Only videos discovered before this moment")
    statuses: list[FinishedStatus] = Field(default_factory=_completed, min_length=1, description="Which finished tasks")
    priority: Priority = Priority.LOW


class RerunOut(BaseModel):
    tasks: list[TaskOut]
    enqueued: int = Field(description="Jobs put on the queue now (a job still running is enqueued when it ends)")


class ReprocessLibraryOut(BaseModel):
    tasks: int = Field(description="Tasks set to run again; their jobs are enqueued in the background")
    priority: Priority


class PrioritizeOut(BaseModel):
    tasks: list[TaskOut] = Field(description="The video's waiting tasks, now at this priority")
    moved: int = Field(description="Queued jobs moved ahead")


class QueueOut(BaseModel):
    name: str
    depth: int = Field(description="Jobs waiting (and deferred retries)")
    depth_by_priority: dict[Priority, int]
    running: int = Field(description="Tasks RUNNING on this queue")
    paused: bool
    workers: int = Field(description="Workers serving it now")
    checked_at: datetime
