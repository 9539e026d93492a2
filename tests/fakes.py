"""Fakes that subclass the ports (no mocks of our own code)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from reelscan_shared.domain.tasks import TaskType
from reelscan_shared.ports.ml import MLClient
from reelscan_shared.schemas.ml import InferenceItem, InferenceResponse


class FakeMLClient(MLClient):
    """Answers from a script: each call pops the next outcome (a response or an exception)."""

    def __init__(self, *outcomes: InferenceResponse | Exception, hold: asyncio.Event | None = None,
                 runnable: frozenset[TaskType] = frozenset(TaskType)) -> None:
        self.outcomes = list(outcomes)
        self.runnable = runnable  # what its /health says can run
        self.calls: list[tuple[TaskType, str, dict[str, Any]]] = []
        self.windows: list[tuple[int, int | None]] = []
        self.hold = hold
        self.entered = asyncio.Event()

    async def infer(self, task_type: TaskType, video_path: str, config: dict[str, Any], start_ms: int = 0,
                    end_ms: int | None = None) -> InferenceResponse:
        self.calls.append((task_type, video_path, config))
        self.windows.append((start_ms, end_ms))
        self.entered.set()
        if self.hold is not None:
            await self.hold.wait()
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    async def runnable_analyses(self) -> frozenset[TaskType]:
        return self.runnable

    async def aclose(self) -> None:
        return None


class Killed(BaseException):
    """What a SIGKILL does to a job, as far as the database can tell: it stops, with no
    handler run (a BaseException the job's handlers do not catch)."""


class WindowedML(MLClient):
    """An ML service for a video of ``duration_ms`` with the same text on screen all the
    time, sampled every second: each request answers for its window only (one per-frame
    OCR row per sampled second), as the real service does. ``script`` maps a window's
    start to what happens instead of an answer, once."""

    def __init__(self, duration_ms: int, script: dict[int, BaseException] | None = None,
                 hold_at: int | None = None) -> None:
        self.duration_ms = duration_ms
        self.script = dict(script or {})
        self.windows: list[tuple[int, int | None]] = []
        self.hold_at, self.held, self.release = hold_at, asyncio.Event(), asyncio.Event()

    async def infer(self, task_type: TaskType, video_path: str, config: dict[str, Any], start_ms: int = 0,
                    end_ms: int | None = None) -> InferenceResponse:
        self.windows.append((start_ms, end_ms))
        if start_ms == self.hold_at:
            self.held.set()
            await self.release.wait()
        if start_ms in self.script:
            raise self.script.pop(start_ms)
        end = min(end_ms or self.duration_ms, self.duration_ms)
        items = [InferenceItem(span_start_ms=ms, span_end_ms=ms, payload={
            "frame_ms": ms, "frame_width": 640, "frame_height": 360, "text": "EXIT", "confidence": 0.9,
            "box": {"x1": 10, "y1": 10, "x2": 100, "y2": 50}}) for ms in range(-(-start_ms // 1000) * 1000, end, 1000)]
        return InferenceResponse(artifact_type="ocr_text", run_id=uuid.uuid4().hex, config_hash="c" * 64,
                                 input_hash="i" * 64, producer="reelscan-ml/ocr", producer_version="test 1",
                                 model_profile="test-profile", duration_ms=self.duration_ms, elapsed_ms=5,
                                 start_ms=start_ms, end_ms=end_ms, items=items)

    async def runnable_analyses(self) -> frozenset[TaskType]:
        return frozenset(TaskType)

    async def aclose(self) -> None:
        return None
