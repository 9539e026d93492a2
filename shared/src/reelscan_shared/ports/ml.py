"""The ML service port, as seen by the worker."""

from __future__ import annotations

from typing import Any, Protocol

from reelscan_shared.domain.tasks import TaskType
from reelscan_shared.schemas.ml import InferenceResponse


class MLError(Exception):
    """The ML service refused the request for good (bad video, bad config): do not retry."""


class MLUnavailable(Exception):
    """The ML service could not be reached, is overloaded (503) or timed out (504):
    retry later; ``retry_after_s`` is the service's own hint (Retry-After), if any."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class MLClient(Protocol):
    async def infer(self, task_type: TaskType, video_path: str, config: dict[str, Any]) -> InferenceResponse:
        """Run the analysis ``task_type`` on the video with ``config``."""
        ...

    async def aclose(self) -> None: ...
