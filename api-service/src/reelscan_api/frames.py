"""The frame of a moment, as a JPEG: what a search hit links to.

Decoded with PyAV (seek to the keyframe before the moment, decode forward to the
frame on screen at it), scaled, encoded with Pillow. Only files inside the library
roots are opened. Results are kept in a byte-bounded LRU cache keyed by the file's
identity (path, size, mtime), so a replaced file never serves an old frame; decoding
runs in threads, at most ``workers`` at a time, so frames never starve the API.
"""

from __future__ import annotations

import asyncio
import io
import os
from collections import OrderedDict
from fractions import Fraction
from pathlib import Path

import av
from av.container import InputContainer
from PIL import Image

from reelscan_shared.domain.errors import NotFound
from reelscan_shared.files import confine

MAX_WIDTH = 1920
JPEG_QUALITY = 85


class MomentOutOfRange(ValueError):
    """The moment asked for is past the video's last frame."""


def grab_jpeg(path: Path, t_ms: int, width: int | None) -> bytes:
    """The frame on screen at ``t_ms`` (the last one shown at or before it), scaled to
    ``width`` (the video's own width, at most MAX_WIDTH, when None)."""
    try:
        with av.open(str(path)) as container:
            image = _image_at(container, t_ms, path.name)
    except (av.FFmpegError, OSError) as exc:
        raise NotFound(f"{path.name} cannot be decoded at t_ms={t_ms}: {exc}") from exc
    out_width = min(width or image.width, MAX_WIDTH)
    if out_width != image.width:
        image = image.resize((out_width, max(1, round(image.height * out_width / image.width))),
                             Image.Resampling.BILINEAR)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=JPEG_QUALITY)
    return buffer.getvalue()


def _image_at(container: InputContainer, t_ms: int, name: str) -> Image.Image:
    if not container.streams.video:
        raise NotFound(f"{name} has no video stream")
    target = t_ms / 1000
    stream = container.streams.video[0]
    stream.thread_type = "AUTO"
    frame_s = 1 / float(stream.average_rate) if stream.average_rate else 0.0
    time_base = stream.time_base or Fraction(1, 1000)
    container.seek(int(target / time_base), stream=stream, backward=True, any_frame=False)
    shown = None
    for frame in container.decode(stream):
        if frame.time is None:
            continue
        if frame.time > target + 1e-6 and shown is not None:
            break
        shown = frame
        if frame.time + frame_s > target + 1e-6:  # the next frame would come after the moment
            break
    if shown is None:
        raise MomentOutOfRange(f"t_ms={t_ms} is past the last frame of {name}")
    image: Image.Image = shown.to_image()  # type: ignore[no-untyped-call]
    return image


class FrameGrabber:
    def __init__(self, roots: list[Path], cache_bytes: int, workers: int = 2) -> None:
        self._roots = roots
        self._cache: OrderedDict[tuple[object, ...], bytes] = OrderedDict()
        self._cache_bytes = cache_bytes
        self._cached = 0
        self._slots = asyncio.Semaphore(workers)

    async def jpeg(self, video_path: str, t_ms: int, width: int | None) -> bytes:
        path = confine(video_path, self._roots)
        try:
            st = await asyncio.to_thread(os.stat, path)
        except FileNotFoundError as exc:
            raise NotFound(f"{video_path} is no longer in the library") from exc
        except OSError as exc:  # said as what it is (the app maps a bare OSError to "database unavailable")
            raise NotFound(f"{video_path} cannot be read: {exc.strerror}") from exc
        key = (str(path), st.st_size, st.st_mtime_ns, t_ms, width)
        if (hit := self._cache.get(key)) is not None:
            self._cache.move_to_end(key)
            return hit
        async with self._slots:
            data = await asyncio.to_thread(grab_jpeg, path, t_ms, width)
        self._remember(key, data)
        return data

    def _remember(self, key: tuple[object, ...], data: bytes) -> None:
        if len(data) > self._cache_bytes or key in self._cache:
            return
        self._cache[key] = data
        self._cached += len(data)
        while self._cached > self._cache_bytes:
            _, old = self._cache.popitem(last=False)
            self._cached -= len(old)
