import pytest
from pydantic import ValidationError

from reelscan_shared.analyses import validate_payload


def test_an_unknown_artifact_type_is_a_key_error_naming_it() -> None:
    with pytest.raises(KeyError, match="telepathy"):
        validate_payload("telepathy", {})


def test_valid_scene() -> None:
    version, payload = validate_payload("scene", {"scene_index": 0, "start_ms": 0, "end_ms": 2000,
                                                  "start_frame": 0, "end_frame": 49})
    assert version == 1 and payload["end_ms"] == 2000


@pytest.mark.parametrize(("artifact_type", "payload", "message"), [
    ("scene", {"scene_index": 0, "start_ms": 5, "end_ms": 5, "start_frame": 0, "end_frame": 0}, "end after"),
    ("ocr_text", {"frame_ms": 0, "frame_width": 10, "frame_height": 10, "text": "", "confidence": 0.5,
                  "box": {"x1": 0, "y1": 0, "x2": 1, "y2": 1}}, "at least 1 character"),
    ("object_detection", {"frame_ms": 0, "frame_width": 10, "frame_height": 10, "label": "cat", "class_id": 1,
                          "confidence": 1.5, "box": {"x1": 0, "y1": 0, "x2": 1, "y2": 1}}, "less than or equal"),
    ("face_detection", {"frame_ms": 0, "frame_width": 10, "frame_height": 10, "confidence": 0.5,
                        "box": {"x1": 5, "y1": 0, "x2": 1, "y2": 1}}, "x1 <= x2"),
    ("face_detection", {"frame_ms": 0, "frame_width": 10, "frame_height": 10, "confidence": 0.5,
                        "box": {"x1": 0, "y1": 0, "x2": 50, "y2": 1}}, "outside the frame"),
    ("place_classification", {"frame_ms": 0, "top_k": [{"label": "a", "class_id": 0, "score": 0.1},
                                                       {"label": "b", "class_id": 1, "score": 0.9}]}, "descending"),
    ("transcript_segment", {"text": "hi", "start_ms": 10, "end_ms": 5, "language": "en"}, "before start_ms"),
    ("transcript_segment", {"text": "hi", "start_ms": 0, "end_ms": 5, "language": "en", "extra": 1}, "Extra"),
])
def test_invalid_payloads_are_rejected_with_a_message(artifact_type: str, payload: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        validate_payload(artifact_type, payload, 1)  # the per-frame (version 1) schemas
