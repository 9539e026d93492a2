"""Linking sightings on sampled frames into spans (reelscan_shared.spans)."""

from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from reelscan_shared.spans import Sighting, iou, link, normalise_text, runs


def at(ms: int, x: float, conf: float = 0.9, size: float = 60, **fields) -> Sighting:
    return Sighting(ms, (x, 100, x + size, 100 + size), conf, fields)


def test_iou() -> None:
    assert iou((0, 0, 10, 10), (0, 0, 10, 10)) == 1.0
    assert iou((0, 0, 10, 10), (10, 0, 20, 10)) == 0.0  # touching is not overlapping
    assert iou((0, 0, 10, 10), (5, 0, 15, 10)) == 50 / 150


def test_a_box_moving_steadily_is_one_track_and_one_far_away_is_another() -> None:
    frames = [(t * 1000, [("dog", at(t * 1000, 100 + 20 * t)), ("dog", at(t * 1000, 900))]) for t in range(6)]
    spans = link(frames, min_iou=0.3, max_gap_ms=1500)
    assert len(spans) == 2
    moving = next(s for s in spans if s.sightings[0].box[0] == 100)
    assert [s.box[0] for s in moving.sightings] == [100 + 20 * t for t in range(6)]
    assert (moving.start_ms, moving.end_ms) == (0, 5000)


def test_a_track_survives_a_missed_sample_but_not_a_longer_absence() -> None:
    seen = [0, 1, 3, 6, 7]  # missed at 2 (one sample), then at 4 and 5 (two)
    frames = [(t * 1000, [("", at(t * 1000, 100))] if t in seen else []) for t in range(8)]
    spans = link(frames, min_iou=0.3, max_gap_ms=2500)  # one missed sample at 1 s sampling
    assert [(s.start_ms, s.end_ms, len(s.sightings)) for s in spans] == [(0, 3000, 3), (6000, 7000, 2)]


def test_different_keys_never_link_and_a_track_takes_one_box_per_frame() -> None:
    frames = [(0, [("cat", at(0, 100)), ("dog", at(0, 100))]),
              (1000, [("cat", at(1000, 105)), ("cat", at(1000, 110, conf=0.5)), ("dog", at(1000, 102))])]
    spans = link(frames, min_iou=0.3, max_gap_ms=1500)
    assert sorted((s.key, len(s.sightings)) for s in spans) == [("cat", 1), ("cat", 2), ("dog", 2)]
    cat = next(s for s in spans if s.key == "cat" and len(s.sightings) == 2)
    assert cat.sightings[1].confidence == 0.9, "the most confident detection continues the track"


def test_the_same_text_read_differently_cased_is_one_span() -> None:
    assert normalise_text("  EXIT\n 12 ") == normalise_text("exit 12") == "exit 12"


def test_runs_of_the_same_place() -> None:
    samples = [(0, "beach", 0.6, {}), (5000, "beach", 0.8, {}), (10000, "pier", 0.5, {}), (15000, "beach", 0.7, {})]
    assert [(s.key, s.start_ms, s.end_ms, len(s.sightings)) for s in runs(samples)] == [
        ("beach", 0, 5000, 2), ("pier", 10000, 10000, 1), ("beach", 15000, 15000, 1)]
    assert runs(samples)[0].mean_confidence == 0.7 and runs(samples)[0].best.confidence == 0.8


detection = st.tuples(st.sampled_from(["a", "b"]), st.floats(0, 500), st.floats(0.01, 1))


@settings(max_examples=200)
@given(frames=st.lists(st.lists(detection, max_size=4), max_size=12), gap=st.integers(0, 3000),
       min_iou=st.floats(0.01, 1))
def test_every_sighting_lands_in_exactly_one_span_in_time_order(frames, gap, min_iou) -> None:
    timeline = [(i * 1000, [(key, at(i * 1000, x, conf)) for key, x, conf in found])
                for i, found in enumerate(frames)]
    spans = link(timeline, min_iou=min_iou, max_gap_ms=gap)
    placed = [s for span in spans for s in span.sightings]
    assert sorted(id(s) for s in placed) == sorted(id(s) for _, found in timeline for _, s in found)
    for span in spans:
        times = [s.frame_ms for s in span.sightings]
        assert times == sorted(set(times)), "one sighting per frame, in time order"
        assert all(b - a <= gap for a, b in pairwise(times)), "no gap longer than allowed"
        assert all(iou(a.box, b.box) >= min_iou for a, b in pairwise(span.sightings))
    assert [s.start_ms for s in spans] == sorted(s.start_ms for s in spans)
