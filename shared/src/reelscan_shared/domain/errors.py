"""Domain exceptions. Routes translate them to HTTP codes; the worker to arq retries."""


class DomainError(Exception):
    """Base class of every error the domain raises on purpose."""


class NotFound(DomainError):
    """The named entity does not exist."""


class InvalidTransition(DomainError):
    """A task was asked to move to a state its current state does not allow."""

    def __init__(self, task_id: str, current: str, target: str) -> None:
        super().__init__(f"task {task_id} is {current}; it cannot become {target}")
        self.task_id = task_id
        self.current = current
        self.target = target


class PathNotAllowed(DomainError):
    """A video path resolves outside the configured library roots."""


class QueueUnavailable(DomainError):
    """The job queue (Valkey) cannot be reached."""


class AlreadyExists(DomainError):
    """Creating something that exists already (e.g. a second subscription to one URL)."""


class VideoMissing(DomainError):
    """An action needs the video's file, and none of its paths exists (it is MISSING)."""
