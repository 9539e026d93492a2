"""Versioned pydantic schemas: artifact payloads, analysis configs and the ML
service's wire format. Which analysis uses which is in ``reelscan_shared.analyses``."""

from reelscan_shared.schemas.configs import AnalysisConfig
from reelscan_shared.schemas.ml import InferenceItem, InferenceRequest, InferenceResponse
from reelscan_shared.schemas.payloads import (
    BoundingBox,
    FaceDetectionV1,
    ObjectDetectionV1,
    OCRTextV1,
    Payload,
    PlaceClass,
    PlaceClassificationV1,
    SceneV1,
    TranscriptSegmentV1,
)

__all__ = [
    "AnalysisConfig",
    "BoundingBox",
    "FaceDetectionV1",
    "InferenceItem",
    "InferenceRequest",
    "InferenceResponse",
    "OCRTextV1",
    "ObjectDetectionV1",
    "Payload",
    "PlaceClass",
    "PlaceClassificationV1",
    "SceneV1",
    "TranscriptSegmentV1",
]
