"""The ML service's wire format, shared by the service and its client (the worker)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, model_validator


class InferenceRequest(BaseModel):
    """One analysis of one part of a video: ``[start_ms, end_ms)``, the whole video by default."""

    video_path: str = Field(min_length=1, description="Absolute path inside VIDEO_PATHS")
    config: dict[str, Any] = Field(default_factory=dict)
    start_ms: int = Field(0, ge=0, description="Where the segment starts")
    end_ms: int | None = Field(None, gt=0, description="Where it ends (exclusive); null: the end of the video")

    @model_validator(mode="after")
    def _ordered(self) -> InferenceRequest:
        if self.end_ms is not None and self.end_ms <= self.start_ms:
            raise ValueError("end_ms must be after start_ms")
        return self


class InferenceItem(BaseModel):
    """One result item: becomes one artifact envelope."""

    span_start_ms: int = Field(ge=0)
    span_end_ms: int = Field(ge=0)
    payload: dict[str, Any]
    continues: bool = Field(False, description="The part, in this segment, of an item that started in an earlier "
                                               "one (a scene under way): joined to it, never an artifact itself")


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
    start_ms: int = Field(0, ge=0, description="The segment's start, as requested")
    end_ms: int | None = Field(None, description="Where the part covered ends, exclusive: the next segment "
                                                 "starts here. Transcription may stop short of the requested "
                                                 "end, at a pause before a sentence it did not hear whole. "
                                                 "Null: the end of the video")
    elapsed_ms: int = Field(ge=0, description="Time spent in inference")
    items: list[InferenceItem]
