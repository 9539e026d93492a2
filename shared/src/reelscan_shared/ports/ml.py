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


class MLNotRunnable(Exception):
    """The ML service cannot run this analysis here (its model has no trained weights and
    ALLOW_UNTRAINED is off, or no weights at all): not the request's fault, and retrying
    is pointless until an operator fetches the weights. ``reason``: untrained | missing."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class MLClient(Protocol):
    async def infer(self, task_type: TaskType, video_path: str, config: dict[str, Any], start_ms: int = 0,
                    end_ms: int | None = None) -> InferenceResponse:
        """Run the analysis ``task_type`` with ``config`` on the video's ``[start_ms, end_ms)``
        (to its end when ``end_ms`` is None)."""
        ...

    async def runnable_analyses(self) -> frozenset[TaskType]:
        """The analyses the ML service can run now (its /health); MLUnavailable if it
        cannot be asked."""
        ...

    async def aclose(self) -> None: ...
