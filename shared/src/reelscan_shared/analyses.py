"""The analysis table: every analysis described once.

One row per analysis: its task type (the one name used everywhere: the task, the
queue's jobs, ``ANALYSIS_CONFIG``, the ML service's ``POST /infer/{task_type}``, the
metrics' labels), the queue that runs it, its config model (with the defaults), and
the artifact type(s) it produces with their payload model and schema version.

Everything else is derived from this table: the default config stored on new tasks,
the validation of ``ANALYSIS_CONFIG`` at start-up, ``PAYLOAD_SCHEMAS`` and the
worker's payload validation, the API's ``artifact_type`` parameter (``ArtifactType``)
and the ML service's routing. Adding an analysis means: a ``TaskType`` and an
``ArtifactType`` name, a row here with its config and payload models, and an
analyzer (with its model) in the ML service; nothing in the worker or the API routes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from reelscan_shared import combine
from reelscan_shared.combine import Combine
from reelscan_shared.domain.artifacts import ArtifactType
from reelscan_shared.domain.queues import CPU_QUEUE, GPU_QUEUE
from reelscan_shared.domain.tasks import TaskType
from reelscan_shared.schemas.configs import (
    AnalysisConfig,
    FacesConfig,
    ObjectsConfig,
    OCRConfig,
    PlacesConfig,
    ScenesConfig,
    TranscriptionConfig,
)
from reelscan_shared.schemas.payloads import (
    FaceDetectionV1,
    FaceDetectionV2,
    ObjectDetectionV1,
    ObjectDetectionV2,
    OCRTextV1,
    OCRTextV2,
    Payload,
    PlaceClassificationV1,
    PlaceClassificationV2,
    SceneV1,
    TranscriptSegmentV1,
)


@dataclass(frozen=True)
class ArtifactSchema:
    """An artifact type with the payload model (and its version) new rows are written in."""

    artifact_type: ArtifactType
    schema_version: int
    payload_model: type[Payload]


@dataclass(frozen=True)
class Analysis:
    task_type: TaskType
    queue: str
    config_model: type[AnalysisConfig]
    # What it writes: the first is the default; frame analyses also write their
    # per-frame version 1 rows when their config says "emit": "frames".
    artifacts: tuple[ArtifactSchema, ...]
    # How the items of its segments become its artifacts (``reelscan_shared.combine``).
    combine: Combine

    @property
    def artifact_type(self) -> ArtifactType:
        """The artifact type the analysis produces."""
        return self.artifacts[0].artifact_type

    def produces(self, artifact_type: str, schema_version: int) -> bool:
        return any((a.artifact_type, a.schema_version) == (artifact_type, schema_version) for a in self.artifacts)

    @staticmethod
    def segment_config(config: Mapping[str, Any]) -> dict[str, Any]:
        """The config of one segment's ML request: frame analyses send their per-frame
        rows, which ``combine`` links into spans over the whole video."""
        return {**config, "emit": "frames"} if "emit" in config else dict(config)


def _v1(artifact_type: ArtifactType, model: type[Payload]) -> tuple[ArtifactSchema]:
    return (ArtifactSchema(artifact_type, 1, model),)


def _spans_or_frames(artifact_type: ArtifactType, spans: type[Payload],
                     frames: type[Payload]) -> tuple[ArtifactSchema, ArtifactSchema]:
    return ArtifactSchema(artifact_type, 2, spans), ArtifactSchema(artifact_type, 1, frames)


_ROWS = (
    Analysis(TaskType.OBJECT_DETECTION, GPU_QUEUE, ObjectsConfig,
             _spans_or_frames(ArtifactType.OBJECT_DETECTION, ObjectDetectionV2, ObjectDetectionV1),
             combine.spans_or_frames(combine.tracks("label", "class_id"))),
    Analysis(TaskType.FACE_DETECTION, GPU_QUEUE, FacesConfig,
             _spans_or_frames(ArtifactType.FACE_DETECTION, FaceDetectionV2, FaceDetectionV1),
             combine.spans_or_frames(combine.tracks())),
    Analysis(TaskType.TRANSCRIPTION, GPU_QUEUE, TranscriptionConfig,
             _v1(ArtifactType.TRANSCRIPT_SEGMENT, TranscriptSegmentV1), combine.in_order),
    Analysis(TaskType.OCR, GPU_QUEUE, OCRConfig, _spans_or_frames(ArtifactType.OCR_TEXT, OCRTextV2, OCRTextV1),
             combine.spans_or_frames(combine.text_spans)),
    Analysis(TaskType.PLACE_DETECTION, GPU_QUEUE, PlacesConfig,
             _spans_or_frames(ArtifactType.PLACE_CLASSIFICATION, PlaceClassificationV2, PlaceClassificationV1),
             combine.spans_or_frames(combine.place_spans)),
    Analysis(TaskType.SCENE_DETECTION, CPU_QUEUE, ScenesConfig, _v1(ArtifactType.SCENE, SceneV1), combine.scenes),
)


def _index(rows: tuple[Analysis, ...]) -> dict[TaskType, Analysis]:
    """The table by task type; a task type without a row (or with two), or an artifact
    type claimed twice, fails at import in every service rather than at the first job."""
    table = {row.task_type: row for row in rows}
    if len(table) != len(rows) or set(table) != set(TaskType):
        raise RuntimeError(f"the analysis table must have exactly one row per TaskType; it has {len(rows)} "
                           f"rows for {sorted(table)}")
    owners: dict[ArtifactType, set[TaskType]] = {}
    for row in rows:
        for a in row.artifacts:
            owners.setdefault(a.artifact_type, set()).add(row.task_type)
    versions = [(a.artifact_type, a.schema_version) for row in rows for a in row.artifacts]
    if set(owners) != set(ArtifactType) or any(len(o) > 1 for o in owners.values()) or len(set(versions)) != len(
            versions):
        raise RuntimeError(f"each ArtifactType must belong to exactly one analysis, once per version: {versions}")
    return table


ANALYSES: Mapping[TaskType, Analysis] = _index(_ROWS)

# (artifact_type, schema_version) -> payload model: every version that may be stored
PAYLOAD_MODELS: Mapping[tuple[ArtifactType, int], type[Payload]] = {
    (a.artifact_type, a.schema_version): a.payload_model for row in _ROWS for a in row.artifacts
}
# artifact_type -> (schema_version, payload model) of the newest version
PAYLOAD_SCHEMAS: Mapping[ArtifactType, tuple[int, type[Payload]]] = {
    kind: max((v, m) for (k, v), m in PAYLOAD_MODELS.items() if k == kind) for kind in ArtifactType
}


def analysis_for(task_type: TaskType | str) -> Analysis:
    """The row of ``task_type``; ValueError for a name that is not a task type."""
    return ANALYSES[TaskType(task_type)]


def validate_payload(artifact_type: str, payload: dict[str, Any],
                     schema_version: int | None = None) -> tuple[int, dict[str, Any]]:
    """Validate ``payload`` against its schema version (the newest when None); return
    (schema_version, normalised payload).

    Raises KeyError for an unknown artifact type or version and pydantic.ValidationError
    for a payload that does not match its schema.
    """
    try:
        kind = ArtifactType(artifact_type)
    except ValueError:
        raise KeyError(f"unknown artifact type {artifact_type!r}; one of {sorted(PAYLOAD_SCHEMAS)}") from None
    version = PAYLOAD_SCHEMAS[kind][0] if schema_version is None else schema_version
    model = PAYLOAD_MODELS.get((kind, version))
    if model is None:
        raise KeyError(f"{artifact_type} has no schema version {version}")
    return version, model.model_validate(payload).model_dump(mode="json")


class InvalidAnalysisConfig(ValueError):
    """An ``ANALYSIS_CONFIG`` override names no analysis, or a field its model refuses."""


def parse_overrides(raw: Mapping[str, Any]) -> dict[TaskType, dict[str, Any]]:
    """Check per-analysis overrides (``{"ocr": {"min_confidence": 0.4}}``) against the
    config models; the error names the analysis and the field."""
    overrides: dict[TaskType, dict[str, Any]] = {}
    for name, values in raw.items():
        if name not in ANALYSES:
            raise InvalidAnalysisConfig(f"unknown analysis {name!r}; use any of {[t.value for t in ANALYSES]}")
        if not isinstance(values, dict):
            raise InvalidAnalysisConfig(f"{name}: expected an object of config fields, got {values!r}")
        task_type = TaskType(name)
        try:
            ANALYSES[task_type].config_model.model_validate(values)
        except ValidationError as exc:
            problems = "; ".join(f"{name}.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
            raise InvalidAnalysisConfig(problems) from exc
        overrides[task_type] = dict(values)
    return overrides


def default_config(task_type: TaskType, overrides: Mapping[TaskType, dict[str, Any]] | None = None) -> dict[str, Any]:
    """The full config a new task of ``task_type`` runs with: the model's defaults with
    the operator's overrides (from ``parse_overrides``) on top."""
    model = ANALYSES[task_type].config_model
    return model.model_validate((overrides or {}).get(task_type, {})).model_dump(mode="json")
