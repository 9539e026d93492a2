"""Artifact envelopes: one stored result item with its time span and provenance."""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any


class ArtifactType(enum.StrEnum):
    """What one stored result item is; each analysis declares the types it produces
    (``reelscan_shared.analyses``)."""

    OBJECT_DETECTION = "object_detection"
    FACE_DETECTION = "face_detection"
    TRANSCRIPT_SEGMENT = "transcript_segment"
    OCR_TEXT = "ocr_text"
    PLACE_CLASSIFICATION = "place_classification"
    SCENE = "scene"


@dataclass(frozen=True)
class Provenance:
    """Who produced a result, from what input, with which config and weights."""

    run_id: str
    producer: str
    producer_version: str
    model_profile: str
    config_hash: str
    input_hash: str


# The ML service stamps results of an untrained network (random weights, run only with
# ALLOW_UNTRAINED) with a model_profile that says so, e.g. "resnet18-places365-untrained-
# random-init". They stay readable as artifacts, with that provenance, but are never
# offered as findings: labels, search and summaries leave them out.
UNTRAINED_MARK = "untrained"


def is_untrained(model_profile: str) -> bool:
    return UNTRAINED_MARK in model_profile


def config_hash(config: Mapping[str, Any]) -> str:
    """The provenance's ``config_hash``: of the full config (every field, defaults included)."""
    return hashlib.sha256(json.dumps(config, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


@dataclass(frozen=True)
class ArtifactEnvelope:
    artifact_id: str
    video_id: str
    task_id: str
    artifact_type: str
    schema_version: int
    span_start_ms: int
    span_end_ms: int
    payload: dict[str, Any]
    provenance: Provenance
    created_at: datetime
