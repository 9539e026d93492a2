"""The analyzer table: one analyzer per task type, built here explicitly.

``POST /infer/{task_type}`` looks the analyzer up in ``ANALYZERS``; its config model
and artifact type come from the shared analysis table (``reelscan_shared.analyses``).
"""

from __future__ import annotations

from collections.abc import Mapping

from reelscan_ml.analyzers import frame_based, scenes, transcribe
from reelscan_ml.analyzers.base import Analyzer, AnalyzerOutput, Run
from reelscan_shared.analyses import ANALYSES
from reelscan_shared.domain.tasks import TaskType

_RUNS: Mapping[TaskType, Run] = {
    TaskType.OBJECT_DETECTION: frame_based.run_objects,
    TaskType.FACE_DETECTION: frame_based.run_faces,
    TaskType.TRANSCRIPTION: transcribe.run_transcribe,
    TaskType.OCR: frame_based.run_ocr,
    TaskType.PLACE_DETECTION: frame_based.run_places,
    TaskType.SCENE_DETECTION: scenes.run_scenes,
}

ANALYZERS: Mapping[TaskType, Analyzer] = {task_type: Analyzer(ANALYSES[task_type], run)
                                          for task_type, run in _RUNS.items()}

__all__ = ["ANALYZERS", "Analyzer", "AnalyzerOutput"]
