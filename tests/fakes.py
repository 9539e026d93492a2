"""Fakes that subclass the ports (no mocks of our own code)."""

from __future__ import annotations

import asyncio
from typing import Any

from reelscan_shared.domain.tasks import TaskType
from reelscan_shared.ports.ml import MLClient
from reelscan_shared.schemas.ml import InferenceResponse


class FakeMLClient(MLClient):
    """Answers from a script: each call pops the next outcome (a response or an exception)."""

    def __init__(self, *outcomes: InferenceResponse | Exception, hold: asyncio.Event | None = None) -> None:
        self.outcomes = list(outcomes)
        self.calls: list[tuple[TaskType, str, dict[str, Any]]] = []
        self.hold = hold
        self.entered = asyncio.Event()

    async def infer(self, task_type: TaskType, video_path: str, config: dict[str, Any]) -> InferenceResponse:
        self.calls.append((task_type, video_path, config))
        self.entered.set()
        if self.hold is not None:
            await self.hold.wait()
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    async def aclose(self) -> None:
        return None
