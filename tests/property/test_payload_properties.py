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
    version, normalised = validate_payload("object_detection", payload, 1)
    assert version == 1
    assert validate_payload("object_detection", normalised, 1)[1] == normalised


@given(detections(), st.floats(min_value=1.0001, max_value=1e6) | st.floats(max_value=-1e-9, min_value=-1e6))
def test_confidence_outside_unit_interval_never_validates(payload: dict, confidence: float) -> None:
    with pytest.raises(ValidationError):
        validate_payload("object_detection", {**payload, "confidence": confidence}, 1)


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
        validate_payload("place_classification", {"frame_ms": 0, "top_k": top_k}, 1)
    else:
        with pytest.raises(ValidationError):
            validate_payload("place_classification", {"frame_ms": 0, "top_k": top_k}, 1)


@given(st.lists(st.tuples(st.integers(0, 10**6), st.floats(0, 1)), min_size=1, max_size=8, unique_by=lambda t: t[0]))
def test_a_track_validates_exactly_when_it_summarises_its_sightings_in_time_order(sightings) -> None:
    ordered = sorted(sightings)
    box = {"x1": 0, "y1": 0, "x2": 10, "y2": 10}
    track = {"label": "dog", "class_id": 16, "frame_width": 100, "frame_height": 100,
             "start_ms": ordered[0][0], "end_ms": ordered[-1][0],
             "sightings": [{"frame_ms": t, "box": box, "confidence": c} for t, c in ordered],
             "best_confidence": max(c for _, c in ordered),
             "mean_confidence": sum(c for _, c in ordered) / len(ordered)}
    assert validate_payload("object_detection", track, 2)[0] == 2
    if len(ordered) > 1:
        with pytest.raises(ValidationError, match="time order"):
            validate_payload("object_detection", {**track, "sightings": track["sightings"][::-1]}, 2)
    with pytest.raises(ValidationError, match="summarise"):
        wrong = 1.0 if track["best_confidence"] < 0.5 else 0.0  # a valid confidence, not the best one
        validate_payload("object_detection", {**track, "best_confidence": wrong}, 2)
