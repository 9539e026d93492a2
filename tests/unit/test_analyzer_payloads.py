"""Each analyzer's mapping from a model's result to artifact items: what it produces
must pass the payload schema of its analysis (the worker refuses anything else)."""

from itertools import pairwise

import numpy as np
import pytest
from scenedetect import FrameTimecode

from reelscan_ml.analyzers import ANALYZERS, frame_based
from reelscan_ml.analyzers.frame_based import FrameAnalysis, ReuseUnchanged, Sample
from reelscan_ml.analyzers.scenes import scene_items
from reelscan_ml.analyzers.transcribe import transcript_items
from reelscan_ml.frames import Frame
from reelscan_shared.analyses import ANALYSES, validate_payload
from reelscan_shared.domain.tasks import TaskType
from reelscan_shared.schemas.configs import FacesConfig, ObjectsConfig, OCRConfig, PlacesConfig


def sample(result, ms: int = 2000) -> Sample:
    return Sample(ms, 640, 360, result)


def linked(task_type: TaskType, analysis: FrameAnalysis, samples: list[Sample], cfg) -> list[dict]:
    """Per-frame payloads of the samples, linked by the analysis's combine (as the ML
    service does for one request and the worker for a task's segments)."""
    items = [{"span_start_ms": s.frame_ms, "span_end_ms": s.frame_ms, "payload": p}
             for s in samples for p in analysis.per_frame(s)]
    combined = ANALYSES[task_type].combine(items, cfg.model_dump())
    assert combined.schema_version == 2
    return combined.items


def stored(task_type: TaskType, payload: dict, version: int = 1) -> dict:
    """The payload as the worker would store it for this analysis."""
    assert ANALYZERS[task_type].analysis.produces(ANALYZERS[task_type].artifact_type, version)
    checked, normalised = validate_payload(ANALYZERS[task_type].artifact_type, payload, version)
    assert checked == version
    return normalised


@pytest.mark.parametrize(("task_type", "analysis", "extra"), [
    (TaskType.OBJECT_DETECTION, frame_based.OBJECTS, {"label": "dog", "class_id": 16}),
    (TaskType.FACE_DETECTION, frame_based.FACES, {}),
    (TaskType.OCR, frame_based.OCR, {"text": "EXIT 12"}),
])
def test_detections_become_one_payload_per_box_with_the_frame_size(task_type, analysis, extra) -> None:
    found = [{**extra, "confidence": 0.8, "box": [10.5, 20, 110, 220]},
             # detectors round edges outwards (below 0) and may report corners swapped
             {**extra, "confidence": 0.4, "box": [-3.0, -1.0, 50, 40]},
             {**extra, "confidence": 0.3, "box": [300, 200, 250, 150]}]
    payloads = [stored(task_type, p) for p in analysis.per_frame(sample(found))]
    assert len(payloads) == 3
    first, clipped, swapped = payloads
    assert first["frame_ms"] == 2000 and (first["frame_width"], first["frame_height"]) == (640, 360)
    assert first["box"] == {"x1": 10.5, "y1": 20.0, "x2": 110.0, "y2": 220.0} and first["confidence"] == 0.8
    assert {k: first[k] for k in extra} == extra
    assert clipped["box"] == {"x1": 0.0, "y1": 0.0, "x2": 50.0, "y2": 40.0}
    assert swapped["box"]["x2"] >= swapped["box"]["x1"] and swapped["box"]["y2"] >= swapped["box"]["y1"]


def test_a_frame_without_detections_gives_no_payload() -> None:
    assert frame_based.OBJECTS.per_frame(sample([])) == []
    assert linked(TaskType.OBJECT_DETECTION, frame_based.OBJECTS, [sample([])], ObjectsConfig()) == []


def test_places_become_one_payload_per_frame_with_the_ranked_classes() -> None:
    top_k = [{"label": "kitchen", "class_id": 203, "score": 0.7}, {"label": "pantry", "class_id": 251, "score": 0.2}]
    [payload] = frame_based.PLACES.per_frame(sample(top_k))
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


@pytest.mark.parametrize(("task_type", "analysis", "cfg", "extra"), [
    (TaskType.OBJECT_DETECTION, frame_based.OBJECTS, ObjectsConfig(frame_interval_s=1),
     {"label": "dog", "class_id": 16}),
    (TaskType.FACE_DETECTION, frame_based.FACES, FacesConfig(frame_interval_s=1), {}),
])
def test_detections_moving_across_samples_become_one_track(task_type, analysis, cfg, extra) -> None:
    samples = [sample([{**extra, "confidence": 0.5 + t / 10, "box": [100 + 30 * t, 50, 200 + 30 * t, 150]}],
                      ms=t * 1000) for t in range(4)]
    [item] = linked(task_type, analysis, samples, cfg)
    track = stored(task_type, item["payload"], version=2)
    assert (item["span_start_ms"], item["span_end_ms"]) == (track["start_ms"], track["end_ms"]) == (0, 3000)
    assert [s["box"]["x1"] for s in track["sightings"]] == [100, 130, 160, 190]
    assert track["best_confidence"] == 0.8 and abs(track["mean_confidence"] - 0.65) < 1e-9
    assert {k: track[k] for k in extra} == extra


def test_the_same_words_on_consecutive_samples_are_one_text_span() -> None:
    read = [{"text": "EXIT 12", "confidence": c, "box": [40, 150, 400, 220]} for c in (0.7, 0.95, 0.8)]
    samples = [sample([r], ms=t * 2000) for t, r in enumerate(read)] + [sample([], ms=6000)] + [
        sample([{"text": "exit  12", "confidence": 0.6, "box": [42, 150, 400, 220]}], ms=10000)]
    items = linked(TaskType.OCR, frame_based.OCR, samples, OCRConfig())
    spans = [stored(TaskType.OCR, i["payload"], version=2) for i in items]
    # seen at 0, 2, 4 s; missed at 6 and 8 s (more than max_gap_samples=1): the reading at 10 s is a new span
    assert [(s["text"], s["start_ms"], s["end_ms"], s["sightings"]) for s in spans] == [
        ("EXIT 12", 0, 4000, 3), ("exit  12", 10000, 10000, 1)]
    assert spans[0]["best_confidence"] == 0.95


def test_consecutive_samples_of_the_same_place_are_one_span() -> None:
    def top(label: str, score: float) -> list[dict]:
        return [{"label": label, "class_id": 1 if label == "beach" else 2, "score": score}]
    samples = [sample(top("beach", 0.6), 0), sample(top("beach", 0.8), 5000), sample(top("pier", 0.4), 10000)]
    spans = [stored(TaskType.PLACE_DETECTION, i["payload"], version=2)
             for i in linked(TaskType.PLACE_DETECTION, frame_based.PLACES, samples, PlacesConfig())]
    assert [(s["label"], s["start_ms"], s["end_ms"], s["samples"], s["best_score"]) for s in spans] == [
        ("beach", 0, 5000, 2, 0.8), ("pier", 10000, 10000, 1, 0.4)]


def test_unchanged_frames_are_not_read_again_and_take_the_last_reading() -> None:
    still = np.full((360, 640, 3), 255, np.uint8)
    changed = still.copy()
    changed[150:170, 300:310] = 0  # one small glyph more (200 pixels)
    noisy = still.copy()
    noisy[0, :10] = 200  # encoder noise: a few pixels
    reuse = ReuseUnchanged()
    batch = [Frame(0, still), Frame(1000, noisy), Frame(2000, changed)]
    read, source = reuse.plan(batch)
    assert (read, source) == ([0, 2], [0, 0, 2])
    assert reuse.results(read, source, ["A", "B"]) == ["A", "A", "B"]
    read, source = reuse.plan([Frame(3000, changed.copy()), Frame(4000, still)])  # across batches
    assert (read, source) == ([1], [-1, 1])
    assert reuse.results(read, source, ["C"]) == ["B", "C"]


def test_a_segment_keeps_the_sentences_it_heard_whole_and_says_where_the_next_starts() -> None:
    from reelscan_ml.analyzers.transcribe import TAIL_MS, heard_whole

    def said(start: int, end: int) -> dict:
        return {"text": f"{start}", "start_ms": start, "end_ms": end}

    # segment [60 s, 120 s), audio heard to 130 s
    across, after = said(118_000, 124_000), said(125_000, 129_000)
    kept, next_start = heard_whole([said(61_000, 65_000), across, after], 60_000, 120_000, 130_000, False)
    assert kept == [said(61_000, 65_000), across], "spoken across the end: heard here"
    assert next_start == 124_500, "the next segment starts in the pause before the sentence it did not keep"
    cut = said(119_000, 130_000 - TAIL_MS + 1)  # runs into the last seconds heard: maybe cut short
    kept, next_start = heard_whole([said(61_000, 65_000), cut], 60_000, 120_000, 130_000, False)
    assert kept == [said(61_000, 65_000)] and next_start == 118_000, "left whole to the next segment"
    kept, next_start = heard_whole([cut], 60_000, 120_000, 130_000, True)
    assert kept == [cut], "the audio ended there: nothing was cut short"
    kept, next_start = heard_whole([said(60_000, 129_500)], 60_000, 120_000, 130_000, False)
    assert len(kept) == 1 and next_start == 129_500, "a sentence heard alone is kept: a segment always moves on"
    kept, next_start = heard_whole([said(121_000, 125_000)], 60_000, 120_000, 130_000, False)
    assert (kept, next_start) == ([], 120_000), "a second before it in a long pause"
    kept, next_start = heard_whole([], 60_000, 120_000, 130_000, False)
    assert (kept, next_start) == ([], 120_000)
