"""The six analyses: which queue runs them, which ML endpoint serves them,
which artifact type they produce and the config they start from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reelscan_shared.domain.tasks import TaskType

GPU_QUEUE = "gpu_jobs"
CPU_QUEUE = "cpu_jobs"
QUEUES = (GPU_QUEUE, CPU_QUEUE)


@dataclass(frozen=True)
class Analysis:
    task_type: TaskType
    queue: str
    endpoint: str  # path on the ML service
    artifact_type: str
    default_config: dict[str, Any] = field(default_factory=dict)


ANALYSES: dict[TaskType, Analysis] = {
    a.task_type: a
    for a in (
        Analysis(TaskType.OBJECT_DETECTION, GPU_QUEUE, "/infer/objects", "object_detection",
                 {"frame_interval_s": 1.0, "min_confidence": 0.25}),
        Analysis(TaskType.FACE_DETECTION, GPU_QUEUE, "/infer/faces", "face_detection",
                 {"frame_interval_s": 3.0, "min_confidence": 0.25}),
        Analysis(TaskType.TRANSCRIPTION, GPU_QUEUE, "/infer/transcribe", "transcript_segment",
                 {"language": "en"}),
        Analysis(TaskType.OCR, GPU_QUEUE, "/infer/ocr", "ocr_text",
                 {"frame_interval_s": 2.0, "min_confidence": 0.3}),
        Analysis(TaskType.PLACE_DETECTION, GPU_QUEUE, "/infer/places", "place_classification",
                 {"frame_interval_s": 5.0, "top_k": 5}),
        Analysis(TaskType.SCENE_DETECTION, CPU_QUEUE, "/infer/scenes", "scene",
                 {"threshold": 27.0, "min_scene_len_s": 0.5}),
    )
}

ARTIFACT_TYPES = tuple(a.artifact_type for a in ANALYSES.values())


def analysis_for(task_type: TaskType | str) -> Analysis:
    return ANALYSES[TaskType(task_type)]


def config_for(task_type: TaskType, overrides: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """Default config of an analysis with operator overrides (keyed by task type) on top."""
    merged = dict(ANALYSES[task_type].default_config)
    merged.update((overrides or {}).get(task_type.value, {}))
    return merged
