"""Builders for domain objects in tests."""

from __future__ import annotations

import uuid
from typing import Any

from reelscan_shared.analyses import ANALYSES
from reelscan_shared.domain.artifacts import ArtifactEnvelope, Provenance
from reelscan_shared.domain.clock import utcnow
from reelscan_shared.domain.tasks import Task, TaskStatus, TaskType
from reelscan_shared.domain.videos import Video
from reelscan_shared.schemas.ml import InferenceItem, InferenceResponse
from reelscan_worker.envelopes import build_envelopes


def video(path: str | None = None, **kw: Any) -> Video:
    return Video(video_id=str(uuid.uuid4()), path=path or f"/videos/{uuid.uuid4().hex}.mp4", file_hash="0" * 64,
                 size_bytes=1234, discovered_at=utcnow(), **kw)


def task(video_id: str | None = None, task_type: TaskType = TaskType.OCR,
         status: TaskStatus = TaskStatus.PENDING, **kw: Any) -> Task:
    return Task(task_id=str(uuid.uuid4()), video_id=video_id or str(uuid.uuid4()), task_type=task_type,
                status=status, queue=ANALYSES[task_type].queue, created_at=utcnow(), **kw)


def ocr_item(ms: int = 0, text: str = "HELLO") -> InferenceItem:
    return InferenceItem(span_start_ms=ms, span_end_ms=ms, payload={
        "frame_ms": ms, "frame_width": 640, "frame_height": 360, "text": text, "confidence": 0.9,
        "box": {"x1": 10, "y1": 10, "x2": 100, "y2": 50}})


def response(artifact_type: str = "ocr_text", items: list[InferenceItem] | None = None) -> InferenceResponse:
    return InferenceResponse(artifact_type=artifact_type, run_id=uuid.uuid4().hex, config_hash="c" * 64,
                             input_hash="i" * 64, producer="reelscan-ml/ocr", producer_version="test 1",
                             model_profile="test-profile", duration_ms=4000, elapsed_ms=5,
                             items=items if items is not None else [ocr_item(0), ocr_item(2000, "WORLD")])


def envelopes(t: Task, r: InferenceResponse | None = None) -> list[ArtifactEnvelope]:
    """The response's items as the worker stores them (version 1, the response's provenance)."""
    r = r or response()
    provenance = Provenance(run_id=r.run_id, producer=r.producer, producer_version=r.producer_version,
                            model_profile=r.model_profile, config_hash=r.config_hash, input_hash=r.input_hash)
    return build_envelopes(t, r.artifact_type, r.schema_version, [i.model_dump() for i in r.items], provenance)
