"""The ML service's wire format, shared by the service and its client (the worker)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class InferenceRequest(BaseModel):
    video_path: str = Field(min_length=1, description="Absolute path inside VIDEO_PATHS")
    config: dict[str, Any] = Field(default_factory=dict)


class InferenceItem(BaseModel):
    """One result item: becomes one artifact envelope."""

    span_start_ms: int = Field(ge=0)
    span_end_ms: int = Field(ge=0)
    payload: dict[str, Any]


class InferenceResponse(BaseModel):
    artifact_type: str
    schema_version: int = Field(1, ge=1, description="Version of the items' payload schema")
    run_id: str
    config_hash: str
    input_hash: str
    producer: str
    producer_version: str
    model_profile: str
    duration_ms: int | None = Field(default=None, description="Video duration, when known")
    elapsed_ms: int = Field(ge=0, description="Time spent in inference")
    items: list[InferenceItem]
