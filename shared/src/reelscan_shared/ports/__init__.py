"""Ports: the interfaces the services need from the outside world.

Adapters in ``reelscan_shared.adapters`` implement them on PostgreSQL and arq;
tests may subclass them with in-memory fakes.
"""

from reelscan_shared.ports.ml import MLClient, MLError, MLUnavailable
from reelscan_shared.ports.queue import JobQueue
from reelscan_shared.ports.repositories import (
    ArtifactPage,
    ArtifactQuery,
    ArtifactRepository,
    TaskPage,
    TaskQuery,
    TaskRepository,
    VideoRepository,
)

__all__ = [
    "ArtifactPage",
    "ArtifactQuery",
    "ArtifactRepository",
    "JobQueue",
    "MLClient",
    "MLError",
    "MLUnavailable",
    "TaskPage",
    "TaskQuery",
    "TaskRepository",
    "VideoRepository",
]
