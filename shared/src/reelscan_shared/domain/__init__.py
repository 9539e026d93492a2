"""The Reelscan domain: plain Python only (standard library), no frameworks."""

from reelscan_shared.domain.catalog import ANALYSES, Analysis, analysis_for
from reelscan_shared.domain.errors import (
    DomainError,
    InvalidTransition,
    NotFound,
    PathNotAllowed,
    QueueUnavailable,
)
from reelscan_shared.domain.tasks import Task, TaskStatus, TaskType
from reelscan_shared.domain.videos import VIDEO_EXTENSIONS, Video, is_video_file

__all__ = [
    "ANALYSES",
    "VIDEO_EXTENSIONS",
    "Analysis",
    "DomainError",
    "InvalidTransition",
    "NotFound",
    "PathNotAllowed",
    "QueueUnavailable",
    "Task",
    "TaskStatus",
    "TaskType",
    "Video",
    "analysis_for",
    "is_video_file",
]
