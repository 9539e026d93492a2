"""Decoding only what is needed must give exactly the frames that decoding
everything would: same timestamps, same pixels (skipping non-reference frames,
seeking for sparse sampling), and audio at 16 kHz mono."""

from __future__ import annotations

import sys
import threading
from itertools import pairwise
from pathlib import Path

import av
import numpy as np
import pytest

from reelscan_ml import frames

sys.path.insert(0, str(Path(__file__).parents[2] / "dev"))
import sample_videos


@pytest.fixture(scope="module")
def real_world_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """30 s with 10 s GOPs and B-frames (x264 veryfast defaults), every frame different."""
    rng = np.random.default_rng(3)
    base = rng.integers(0, 255, (120, 160, 3), dtype=np.uint8)
    clip = [np.roll(base, i, axis=1) for i in range(30 * sample_videos.FPS)]
    return sample_videos.write_video(tmp_path_factory.mktemp("gop") / "long-gop.mp4", clip,
                                     options={"preset": "veryfast"})


def decode_everything(path: Path, interval_s: float) -> list[tuple[int, np.ndarray]]:
    """The obvious way: decode every frame, keep the first at or after each tick (up to half
    a frame early), once per tick."""
    kept, next_s = [], 0.0
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            if frame.time + 0.02 < next_s:
                continue
            kept.append((round(frame.time * 1000), frame.to_ndarray(format="rgb24")))
            next_s = (int((frame.time + 0.02) / interval_s + 1e-9) + 1) * interval_s
    return kept


def test_the_fixture_has_long_gops_and_b_frames(real_world_video: Path) -> None:
    with av.open(str(real_world_video)) as container:
        packets = [p for p in container.demux(video=0) if p.size]
    assert sum(p.is_keyframe for p in packets) <= 4, "keyframes every 10 s, not every second"
    assert any(p.pts != p.dts for p in packets), "B-frames reorder presentation"


@pytest.mark.parametrize("interval_s", [0.5, 1.0, 3.0, frames.SEEK_MIN_INTERVAL_S, 12.0])
def test_sampling_matches_decoding_everything(real_world_video: Path, interval_s: float) -> None:
    expected = decode_everything(real_world_video, interval_s)
    got = list(frames.sample_frames(real_world_video, interval_s))
    assert [f.ms for f in got] == [ms for ms, _ in expected]
    assert all(np.array_equal(f.rgb, rgb) for f, (_, rgb) in zip(got, expected, strict=True))
    # One frame per tick: at 25 fps the 0.5 s tick falls between two frames (0.48, 0.52 s),
    # and both were once sampled.
    frame_ms = 1000 / sample_videos.FPS
    assert all(b.ms - a.ms > interval_s * 1000 - frame_ms for a, b in pairwise(got)), [f.ms for f in got][:6]


@pytest.mark.parametrize(("interval_s", "bounds_s"), [
    (1.0, [0, 7, 19.5, 30]),  # boundaries inside GOPs, one between marks
    (0.5, [0, 10, 20, 40]),  # boundaries on keyframes; the last segment runs past the end
    (12.0, [0, 12, 24, 36]),  # sparse sampling (seeking) with a mark on each boundary
])
def test_segments_that_meet_sample_every_mark_once(real_world_video: Path, interval_s: float,
                                                   bounds_s: list[float]) -> None:
    whole = [(f.ms, f.rgb) for f in frames.sample_frames(real_world_video, interval_s)]
    pieces = [(f.ms, f.rgb) for start, end in pairwise(bounds_s)
              for f in frames.sample_frames(real_world_video, interval_s, start_s=start, end_s=end)]
    assert [ms for ms, _ in pieces] == [ms for ms, _ in whole]
    assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(pieces, whole, strict=True))


def test_a_segment_of_audio_is_the_same_samples_as_that_part_of_the_whole(sample_videos: dict[str, Path]) -> None:
    whole, _ = frames.decode_audio(sample_videos["speech"])
    part, ended = frames.decode_audio(sample_videos["speech"], start_s=1.0, end_s=2.5)
    assert not ended and len(part) == round(1.5 * frames.AUDIO_RATE)
    # The same sound at the same time: the best alignment with the whole is within a
    # millisecond of 1.0 s (AAC priming and the resampler's state make samples differ a little).
    reference = whole[frames.AUDIO_RATE - 160:frames.AUDIO_RATE + len(part) + 160]
    lags = [float(np.dot(part, reference[lag:lag + len(part)])) for lag in range(0, 321)]
    assert abs(int(np.argmax(lags)) - 160) <= 16
    assert np.abs(part - whole[frames.AUDIO_RATE:frames.AUDIO_RATE + len(part)]).mean() < 0.01


def test_sampling_stops_when_cancelled(real_world_video: Path) -> None:
    cancel = threading.Event()
    got = []
    for frame in frames.sample_frames(real_world_video, 1.0, cancel=cancel):
        got.append(frame.ms)
        if len(got) == 3:
            cancel.set()
    assert got == [0, 1000, 2000]


def test_audio_is_decoded_to_16khz_mono(sample_videos: dict[str, Path]) -> None:
    audio, ended = frames.decode_audio(sample_videos["speech"])
    assert ended
    duration_s = frames.duration_ms(sample_videos["speech"]) / 1000
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert abs(len(audio) / frames.AUDIO_RATE - duration_s) < 0.2
    assert 0.05 < np.abs(audio).max() <= 1.0, "speech, scaled to [-1, 1]"
    assert frames.decode_audio(sample_videos["cuts"])[0].size == 0, "a video without sound has no samples"
