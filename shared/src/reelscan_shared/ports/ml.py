"""The ML service port, as seen by the worker."""

from __future__ import annotations

from typing import Any, Protocol

from reelscan_shared.schemas.ml import InferenceResponse


class MLError(Exception):
    """The ML service refused the request for good (bad video, bad config): do not retry."""


class MLUnavailable(Exception):
    """The ML service could not be reached or is overloaded (503): retry later."""


class MLClient(Protocol):
    async def infer(self, endpoint: str, video_path: str, config: dict[str, Any]) -> InferenceResponse: ...

    async def aclose(self) -> None: ...
