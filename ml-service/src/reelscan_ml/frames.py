"""Frame sampling with PyAV: one RGB frame every ``interval_s`` seconds."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np


class VideoUnreadable(Exception):
    """The file cannot be decoded as a video; the message says why."""


@dataclass(frozen=True)
class Frame:
    ms: int
    rgb: np.ndarray  # H x W x 3, uint8

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
    with _open(path) as container:
        if container.duration is not None:
            return int(container.duration * 1000 / av.time_base)
    return None


def sample_frames(path: Path, interval_s: float, max_frames: int = 100_000) -> Iterator[Frame]:
    """Decode the first video stream and yield a frame at 0, interval, 2*interval, ...

    Raises VideoUnreadable for a file without a decodable video stream.
    """
    with _open(path) as container:
        if not container.streams.video:
            raise VideoUnreadable(f"{path.name} has no video stream")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        next_ms = 0.0
        yielded = 0
        try:
            for frame in container.decode(stream):
                if frame.time is None:
                    continue
                ms = frame.time * 1000
                if ms + 0.5 < next_ms:
                    continue
                yield Frame(ms=max(round(ms), 0), rgb=frame.to_ndarray(format="rgb24"))
                yielded += 1
                if yielded >= max_frames:
                    return
                next_ms = (int(ms // (interval_s * 1000)) + 1) * interval_s * 1000
        except av.FFmpegError as exc:
            raise VideoUnreadable(f"cannot decode {path.name}: {exc}") from exc
        if yielded == 0:
            raise VideoUnreadable(f"{path.name} contains no decodable video frames")
