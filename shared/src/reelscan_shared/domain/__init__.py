"""The Reelscan domain: plain Python only (standard library), no frameworks."""

from reelscan_shared.domain.artifacts import ArtifactEnvelope, ArtifactType, Provenance
from reelscan_shared.domain.errors import (
    DomainError,
    InvalidTransition,
    NotFound,
    PathNotAllowed,
    QueueUnavailable,
)
from reelscan_shared.domain.queues import CPU_QUEUE, GPU_QUEUE, QUEUES
from reelscan_shared.domain.tasks import Task, TaskStatus, TaskType
from reelscan_shared.domain.videos import VIDEO_EXTENSIONS, Video, is_video_file

__all__ = [
    "CPU_QUEUE",
    "GPU_QUEUE",
    "QUEUES",
    "VIDEO_EXTENSIONS",
    "ArtifactEnvelope",
    "ArtifactType",
    "DomainError",
    "InvalidTransition",
    "NotFound",
    "PathNotAllowed",
    "Provenance",
    "QueueUnavailable",
    "Task",
    "TaskStatus",
    "TaskType",
    "Video",
    "is_video_file",
]
