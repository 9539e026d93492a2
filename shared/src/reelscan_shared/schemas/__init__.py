"""Versioned pydantic schemas: artifact payloads and the ML service wire format."""

from reelscan_shared.schemas.ml import InferenceItem, InferenceRequest, InferenceResponse
from reelscan_shared.schemas.payloads import (
    PAYLOAD_SCHEMAS,
    BoundingBox,
    FaceDetectionV1,
    ObjectDetectionV1,
    OCRTextV1,
    PlaceClass,
    PlaceClassificationV1,
    SceneV1,
    TranscriptSegmentV1,
    validate_payload,
)

__all__ = [
    "PAYLOAD_SCHEMAS",
    "BoundingBox",
    "FaceDetectionV1",
    "InferenceItem",
    "InferenceRequest",
    "InferenceResponse",
    "OCRTextV1",
    "ObjectDetectionV1",
    "PlaceClass",
    "PlaceClassificationV1",
    "SceneV1",
    "TranscriptSegmentV1",
    "validate_payload",
]
