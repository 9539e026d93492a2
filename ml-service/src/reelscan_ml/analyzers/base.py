from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

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


@dataclass(frozen=True)
class Analyzer:
    name: str  # the endpoint's last segment: objects, faces, transcribe, ocr, places, scenes
    artifact_type: str
    config_model: type[BaseModel]
    run: Callable[[InferenceContext, Path, Any], Awaitable[AnalyzerOutput]]


ANALYZERS: dict[str, Analyzer] = {}


def register(analyzer: Analyzer) -> Analyzer:
    ANALYZERS[analyzer.name] = analyzer
    return analyzer
