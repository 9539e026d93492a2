"""What an analyzer is: the analysis's row from the shared table, and the coroutine
that runs it on one video."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reelscan_shared.analyses import Analysis
from reelscan_shared.domain.artifacts import ArtifactType
from reelscan_shared.domain.tasks import TaskType
from reelscan_shared.schemas.configs import AnalysisConfig

if TYPE_CHECKING:
    from reelscan_ml.pipeline import InferenceContext


@dataclass
class AnalyzerOutput:
    items: list[dict[str, Any]]  # {"span_start_ms", "span_end_ms", "payload"}
    duration_ms: int | None
    producer: str
    library: str
    library_version: str
    model_profile: str
    schema_version: int = 1  # of the items' payloads
    # Where the part of the video it covered ends (exclusive), when short of the end asked for.
    end_ms: int | None = None


# (context, video, validated config of the analysis's config model) -> output
Run = Callable[["InferenceContext", Path, Any], Awaitable[AnalyzerOutput]]


@dataclass(frozen=True)
class Analyzer:
    analysis: Analysis  # config model and artifact type come from the shared table
    run: Run

    @property
    def task_type(self) -> TaskType:
        return self.analysis.task_type

    @property
    def config_model(self) -> type[AnalysisConfig]:
        return self.analysis.config_model

    @property
    def artifact_type(self) -> ArtifactType:
        return self.analysis.artifact_type
