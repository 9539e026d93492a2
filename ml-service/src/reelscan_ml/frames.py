"""Decoding with PyAV: sampled video frames and 16 kHz mono audio, decoded once,
only as much as the analysis needs.

Sampling one frame per second from 25 fps video must not cost 25 decodes: the
decoder skips non-reference frames (nobody depends on them) until the next
wanted timestamp is near, and for sparse sampling (SEEK_MIN_INTERVAL_S or more
apart) it seeks to the keyframe before each wanted frame instead.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from reelscan_shared import media

SEEK_MIN_INTERVAL_S = 10.0  # x264's default keyframe interval is 250 frames (10 s at 25 fps)
AUDIO_RATE = 16_000
# Frame threading pays off with cores to spare; on a 2-core host it costs more than it
# gives (60 s of 720p sampled at 1 fps: 0.85 s with AUTO, 0.66 s with SLICE) and it
# competes with the model, which already uses every core.
DECODE_THREADING = "AUTO" if (os.cpu_count() or 1) >= 4 else "SLICE"


class VideoUnreadable(Exception):
    """The file cannot be decoded as a video; the message says why."""


@dataclass(frozen=True)
class Frame:
    ms: int
    rgb: np.ndarray  # H x W x 3, uint8 (channel order as asked of sample_frames)

    @property
    def width(self) -> int:
        return int(self.rgb.shape[1])

    @property
    def height(self) -> int:
        return int(self.rgb.shape[0])


def _open(path: Path) -> av.container.InputContainer:
    try:
        return av.open(str(path))
    except (av.FFmpegError, OSError, UnicodeDecodeError) as exc:
        raise VideoUnreadable(f"cannot open {path.name} as a video: {exc}") from exc


def duration_ms(path: Path) -> int | None:
    """What the packets support (a header claiming more is not believed: the worker runs
    segments up to this duration)."""
    with _open(path) as container:
        header = int(container.duration * 1000 / av.time_base) if container.duration is not None else None
        try:
            return media.bounded(header, media.packet_end_ms(container, header))
        except av.FFmpegError as exc:
            raise VideoUnreadable(f"cannot read {path.name}'s packets: {exc}") from exc


def sample_frames(path: Path, interval_s: float, max_frames: int = 100_000,
                  cancel: threading.Event | None = None, pixel_format: str = "rgb24",
                  start_s: float = 0.0, end_s: float | None = None) -> Iterator[Frame]:
    """Yield the first frame at or after 0, interval, 2*interval, ... as RGB
    (or ``pixel_format``: ``bgr24`` for models that follow OpenCV's convention),
    for the marks in ``[start_s, end_s)`` only: the marks are counted from the
    video's start whatever the segment, so segments that meet sample every mark once.

    Raises VideoUnreadable for a file without a decodable video stream (or, for a
    segment that starts at 0, without a frame). Stops early (without error) once
    ``cancel`` is set.
    """
    with _open(path) as container:
        if not container.streams.video:
            raise VideoUnreadable(f"{path.name} has no video stream")
        sampler = _Sampler(container, container.streams.video[0], interval_s, cancel, pixel_format, end_s)
        yielded = 0
        try:
            for frame in sampler.frames(start_s):
                yield frame
                yielded += 1
                if yielded >= max_frames:
                    return
        except av.FFmpegError as exc:
            raise VideoUnreadable(f"cannot decode {path.name}: {exc}") from exc
        if yielded == 0 and start_s == 0 and not (cancel and cancel.is_set()):
            raise VideoUnreadable(f"{path.name} contains no decodable video frames")


class _Sampler:
    def __init__(self, container: av.container.InputContainer, stream: av.video.stream.VideoStream,
                 interval_s: float, cancel: threading.Event | None, pixel_format: str,
                 end_s: float | None) -> None:
        self.container, self.stream, self.cancel, self.end_s = container, stream, cancel, end_s
        self.pixel_format = pixel_format
        self.interval = interval_s
        self.seek = interval_s >= SEEK_MIN_INTERVAL_S
        self.time_base = float(stream.time_base) if stream.time_base else None
        rate = stream.average_rate or stream.guessed_rate
        self.frame_s = 1.0 / float(rate) if rate else 0.04
        stream.thread_type = DECODE_THREADING
        self.codec = stream.codec_context

    def frames(self, start_s: float) -> Iterator[Frame]:
        next_s = math.ceil(start_s / self.interval - 1e-9) * self.interval  # the first mark in the segment
        if next_s > 0:
            self._seek_to(next_s)
        for packet in self.container.demux(self.stream):
            if self.end_s is not None and next_s >= self.end_s - 1e-9:
                return
            if self.cancel is not None and self.cancel.is_set():
                return
            self._set_skipping(packet, next_s)
            for frame in packet.decode():
                if frame.time is None or frame.time + self.frame_s / 2 < next_s:
                    continue
                yield Frame(ms=max(round(frame.time * 1000), 0), rgb=frame.to_ndarray(format=self.pixel_format))
                # The next mark after the one this frame stands for: a frame up to half a frame
                # early stands for the mark ahead of it (at 25 fps the 0.5 s mark falls between
                # the frames at 0.48 and 0.52 s; both were sampled when this counted from 0.48).
                marks_done = int((frame.time + self.frame_s / 2) / self.interval + 1e-9)
                next_s = (marks_done + 1) * self.interval
                if self.seek:
                    self._seek_to(next_s)
                    break

    def _set_skipping(self, packet: av.Packet, next_s: float) -> None:
        """Skip non-reference frames whose presentation time is well before the next wanted one.

        The decision is per packet on that packet's own timestamp, so it holds with
        frame threading (the decoder copies skip_frame when the packet is submitted).
        """
        if packet.pts is None or self.time_base is None:
            self.codec.skip_frame = "DEFAULT"
            return
        before_target = packet.pts * self.time_base < next_s - self.frame_s
        self.codec.skip_frame = "NONREF" if before_target else "DEFAULT"

    def _seek_to(self, target_s: float) -> None:
        if self.time_base is None:
            return
        # Lands on the keyframe at or before the target; frames before it are skipped above.
        self.container.seek(int(target_s / self.time_base), stream=self.stream, backward=True, any_frame=False)


def decode_audio(path: Path, cancel: threading.Event | None = None, start_s: float = 0.0,
                 end_s: float | None = None) -> tuple[np.ndarray, bool]:
    """The first audio stream's ``[start_s, end_s)`` as 16 kHz mono float32 in [-1, 1],
    resampled by PyAV (libswresample) in-process: no ffmpeg subprocess, no temporary
    file; and whether the audio ended before ``end_s``."""
    with _open(path) as container:
        if not container.streams.audio:
            return np.zeros(0, np.float32), True
        stream = container.streams.audio[0]
        stream.thread_type = "AUTO"
        resampler = av.AudioResampler(format="flt", layout="mono", rate=AUDIO_RATE)
        chunks: list[np.ndarray] = []
        first_s: float | None = None  # where the first decoded frame starts (a seek lands before start_s)
        ended = True
        try:
            if start_s > 0 and stream.time_base:
                container.seek(int(start_s / stream.time_base), stream=stream, backward=True)
            for frame in container.decode(stream):
                if cancel is not None and cancel.is_set():
                    break
                if first_s is None:
                    first_s = min(frame.time if frame.time is not None else start_s, start_s)
                if end_s is not None and frame.time is not None and frame.time >= end_s:
                    ended = False
                    break
                chunks.extend(out.to_ndarray().reshape(-1) for out in resampler.resample(frame))
            chunks.extend(out.to_ndarray().reshape(-1) for out in resampler.resample(None))
        except av.FFmpegError as exc:
            raise VideoUnreadable(f"cannot decode the audio of {path.name}: {exc}") from exc
    audio = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
    skip = round((start_s - (first_s if first_s is not None else start_s)) * AUDIO_RATE)
    audio = audio[skip:]
    if end_s is not None:
        audio = audio[:max(round((end_s - start_s) * AUDIO_RATE), 0)]
    return audio, ended
