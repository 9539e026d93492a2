"""Each analyzer's mapping from a model's result to artifact items: what it produces
must pass the payload schema of its analysis (the worker refuses anything else)."""

from itertools import pairwise

import numpy as np
import pytest
from scenedetect import FrameTimecode

from reelscan_ml.analyzers import ANALYZERS, frame_based
from reelscan_ml.analyzers.scenes import scene_items
from reelscan_ml.analyzers.transcribe import transcript_items
from reelscan_ml.frames import Frame
from reelscan_shared.analyses import validate_payload
from reelscan_shared.domain.tasks import TaskType

FRAME = Frame(ms=2000, rgb=np.zeros((360, 640, 3), np.uint8))


def stored(task_type: TaskType, payload: dict) -> dict:
    """The payload as the worker would store it for this analysis."""
    version, normalised = validate_payload(ANALYZERS[task_type].artifact_type, payload)
    assert version == 1
    return normalised


@pytest.mark.parametrize(("task_type", "to_payloads", "extra"), [
    (TaskType.OBJECT_DETECTION, frame_based.OBJECTS, {"label": "dog", "class_id": 16}),
    (TaskType.FACE_DETECTION, frame_based.FACES, {}),
    (TaskType.OCR, frame_based.OCR, {"text": "EXIT 12"}),
])
def test_detections_become_one_payload_per_box_with_the_frame_size(task_type, to_payloads, extra) -> None:
    found = [{**extra, "confidence": 0.8, "box": [10.5, 20, 110, 220]},
             # detectors round edges outwards (below 0) and may report corners swapped
             {**extra, "confidence": 0.4, "box": [-3.0, -1.0, 50, 40]},
             {**extra, "confidence": 0.3, "box": [300, 200, 250, 150]}]
    payloads = [stored(task_type, p) for p in to_payloads(FRAME, found)]
    assert len(payloads) == 3
    first, clipped, swapped = payloads
    assert first["frame_ms"] == 2000 and (first["frame_width"], first["frame_height"]) == (640, 360)
    assert first["box"] == {"x1": 10.5, "y1": 20.0, "x2": 110.0, "y2": 220.0} and first["confidence"] == 0.8
    assert {k: first[k] for k in extra} == extra
    assert clipped["box"] == {"x1": 0.0, "y1": 0.0, "x2": 50.0, "y2": 40.0}
    assert swapped["box"]["x2"] >= swapped["box"]["x1"] and swapped["box"]["y2"] >= swapped["box"]["y1"]


def test_a_frame_without_detections_gives_no_payload() -> None:
    assert frame_based.OBJECTS(FRAME, []) == []


def test_places_become_one_payload_per_frame_with_the_ranked_classes() -> None:
    top_k = [{"label": "kitchen", "class_id": 203, "score": 0.7}, {"label": "pantry", "class_id": 251, "score": 0.2}]
    [payload] = frame_based.places(FRAME, top_k)
    assert stored(TaskType.PLACE_DETECTION, payload) == {"frame_ms": 2000, "top_k": top_k}


def test_transcript_segments_carry_the_language_and_never_end_before_they_start() -> None:
    segments = [{"text": "hello there", "start_ms": 0, "end_ms": 1500, "avg_logprob": -0.3, "no_speech_prob": 0.01},
                {"text": "bye", "start_ms": 4000, "end_ms": 3990, "avg_logprob": -0.9, "no_speech_prob": 0.2}]
    items = transcript_items(segments, "en")
    assert [(i["span_start_ms"], i["span_end_ms"]) for i in items] == [(0, 1500), (4000, 4000)]
    payloads = [stored(TaskType.TRANSCRIPTION, i["payload"]) for i in items]
    assert [p["text"] for p in payloads] == ["hello there", "bye"]
    assert {p["language"] for p in payloads} == {"en"} and payloads[1]["end_ms"] == 4000


def test_scenes_are_numbered_spans_whose_end_frame_is_their_last() -> None:
    fps = 25.0
    cuts = [0, 50, 51, 125]  # a one-frame scene (50..51) lasts 40 ms and is kept
    scenes = [(FrameTimecode(a, fps), FrameTimecode(b, fps)) for a, b in pairwise(cuts)]
    items = scene_items(scenes)
    assert [(i["span_start_ms"], i["span_end_ms"]) for i in items] == [(0, 2000), (2000, 2040), (2040, 5000)]
    payloads = [stored(TaskType.SCENE_DETECTION, i["payload"]) for i in items]
    assert [(p["scene_index"], p["start_frame"], p["end_frame"]) for p in payloads] == [
        (0, 0, 49), (1, 50, 50), (2, 51, 124)]
