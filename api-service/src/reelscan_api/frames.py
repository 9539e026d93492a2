"""The frame of a moment, as a JPEG: what a search hit links to.

Decoded with PyAV (seek to the keyframe before the moment, decode forward to the
frame on screen at it), converted straight to the size asked for (swscale, from the
decoder's YUV: no full-size RGB picture), encoded with Pillow. Memory stays bounded: a
video above ``max_pixels`` (MAX_VIDEO_PIXELS) is refused from its header before anything
is decoded, the decoder runs on at most two threads, and a decode whose request was
cancelled (the client left) stops at its next frame. Only files inside the library
roots are opened. Results are kept in a byte-bounded LRU cache keyed by the file's
identity (path, size, mtime), so a replaced file never serves an old frame; decoding
runs in threads, at most ``workers`` at a time, so frames never starve the API.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import threading
from collections import OrderedDict
from fractions import Fraction
from pathlib import Path

import av
from av.container import InputContainer
from av.video.stream import VideoStream
from PIL import Image

from reelscan_shared.domain.errors import NotFound
from reelscan_shared.files import confine

MAX_WIDTH = 1920
JPEG_QUALITY = 85
DEFAULT_MAX_PIXELS = 7680 * 4320  # 8K UHD: 33.2 Mpx
DECODER_THREADS = 2  # each frame thread holds frames of its own: memory grows with them


class MomentOutOfRange(ValueError):
    """The moment asked for is past the video's last frame."""


class VideoTooLarge(ValueError):
    """The video's pictures have more pixels than MAX_VIDEO_PIXELS (refused, nothing decoded)."""


class DecodeCancelled(Exception):
    """The request that asked for the frame went away; its decode stopped."""


def grab_jpeg(path: Path, t_ms: int, width: int | None, max_pixels: int = DEFAULT_MAX_PIXELS,
              cancelled: threading.Event | None = None) -> bytes:
    """The frame on screen at ``t_ms`` (the last one shown at or before it), scaled to
    ``width`` (the video's own width, at most MAX_WIDTH, when None)."""
    try:
        with av.open(str(path)) as container:
            image = _image_at(container, t_ms, path.name, width, max_pixels, cancelled or threading.Event())
    except (av.FFmpegError, OSError) as exc:
        raise NotFound(f"{path.name} cannot be decoded at t_ms={t_ms}: {exc}") from exc
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=JPEG_QUALITY)
    return buffer.getvalue()


def _checked_size(stream: VideoStream, name: str, max_pixels: int) -> tuple[int, int]:
    w, h = stream.codec_context.width, stream.codec_context.height
    if w <= 0 or h <= 0:
        raise NotFound(f"{name} does not say its picture size")
    if w * h > max_pixels:
        raise VideoTooLarge(f"{name} is {w}x{h} ({w * h / 1e6:.1f} Mpx), above MAX_VIDEO_PIXELS "
                            f"({max_pixels / 1e6:.1f} Mpx): its frames are not decoded")
    return w, h


def _out_size(w: int, h: int, width: int | None) -> tuple[int, int]:
    out_width = min(width or w, MAX_WIDTH)
    return out_width, max(1, round(h * out_width / w))


def _image_at(container: InputContainer, t_ms: int, name: str, width: int | None, max_pixels: int,
              cancelled: threading.Event) -> Image.Image:
    if not container.streams.video:
        raise NotFound(f"{name} has no video stream")
    target = t_ms / 1000
    stream = container.streams.video[0]
    out_w, out_h = _out_size(*_checked_size(stream, name, max_pixels), width)
    stream.thread_type = "AUTO"
    stream.codec_context.thread_count = DECODER_THREADS
    frame_s = 1 / float(stream.average_rate) if stream.average_rate else 0.0
    time_base = stream.time_base or Fraction(1, 1000)
    container.seek(int(target / time_base), stream=stream, backward=True, any_frame=False)
    shown = None
    for frame in container.decode(stream):
        if cancelled.is_set():
            raise DecodeCancelled
        if frame.time is None:
            continue
        if frame.time > target + 1e-6 and shown is not None:
            break
        shown = frame
        if frame.time + frame_s > target + 1e-6:  # the next frame would come after the moment
            break
    if shown is None:
        raise MomentOutOfRange(f"t_ms={t_ms} is past the last frame of {name}")
    # scaled while converted from the decoder's YUV (the picture's own size is never made in RGB)
    image: Image.Image = shown.to_image(width=out_w, height=out_h,  # type: ignore[no-untyped-call]
                                        interpolation="BILINEAR")
    return image


class FrameGrabber:
    def __init__(self, roots: list[Path], cache_bytes: int, workers: int = 2,
                 max_pixels: int = DEFAULT_MAX_PIXELS) -> None:
        self._roots = roots
        self._max_pixels = max_pixels
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
        cancelled = threading.Event()
        async with self._slots:
            decode = asyncio.ensure_future(asyncio.to_thread(grab_jpeg, path, t_ms, width, self._max_pixels,
                                                             cancelled))
            try:
                data = await asyncio.shield(decode)
            except asyncio.CancelledError:
                cancelled.set()  # the thread stops at its next frame; the slot is kept until it has
                with contextlib.suppress(DecodeCancelled, NotFound, MomentOutOfRange, VideoTooLarge):
                    await decode
                raise
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
