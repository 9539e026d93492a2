"""Envelope validation: every well-formed detection validates; malformed ones never do."""

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from pydantic import ValidationError

from reelscan_shared.analyses import validate_payload

coord = st.floats(min_value=0, max_value=2000, allow_nan=False)


@st.composite
def detections(draw: st.DrawFn) -> dict:
    w, h = draw(st.integers(1, 4000)), draw(st.integers(1, 4000))
    x1, x2 = sorted(draw(st.tuples(st.floats(0, w), st.floats(0, w))))
    y1, y2 = sorted(draw(st.tuples(st.floats(0, h), st.floats(0, h))))
    return {"frame_ms": draw(st.integers(0, 10**9)), "frame_width": w, "frame_height": h,
            "confidence": draw(st.floats(0, 1)), "box": {"x1": x1, "y1": y1, "x2": x2, "y2": y2},
            "label": draw(st.text(min_size=1, max_size=20)), "class_id": draw(st.integers(0, 1000))}


@given(detections())
def test_well_formed_detections_validate_and_round_trip(payload: dict) -> None:
    version, normalised = validate_payload("object_detection", payload)
    assert version == 1
    assert validate_payload("object_detection", normalised)[1] == normalised


@given(detections(), st.floats(min_value=1.0001, max_value=1e6) | st.floats(max_value=-1e-9, min_value=-1e6))
def test_confidence_outside_unit_interval_never_validates(payload: dict, confidence: float) -> None:
    with pytest.raises(ValidationError):
        validate_payload("object_detection", {**payload, "confidence": confidence})


@given(st.integers(0, 10**9), st.integers(0, 10**9))
def test_scenes_must_move_forward(start: int, end: int) -> None:
    payload = {"scene_index": 0, "start_ms": start, "end_ms": end, "start_frame": 0, "end_frame": 1}
    if end > start:
        assert validate_payload("scene", payload)[1]["end_ms"] == end
    else:
        with pytest.raises(ValidationError):
            validate_payload("scene", payload)


@given(st.lists(st.floats(0, 1), min_size=1, max_size=10))
def test_place_top_k_must_be_sorted(scores: list[float]) -> None:
    assume(len(set(scores)) == len(scores))
    top_k = [{"label": f"c{i}", "class_id": i, "score": s} for i, s in enumerate(scores)]
    ok = scores == sorted(scores, reverse=True)
    if ok:
        validate_payload("place_classification", {"frame_ms": 0, "top_k": top_k})
    else:
        with pytest.raises(ValidationError):
            validate_payload("place_classification", {"frame_ms": 0, "top_k": top_k})
