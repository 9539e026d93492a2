"""File facts for discovery: content hash and duration (PyAV; no ML stack)."""

from __future__ import annotations

from pathlib import Path

from reelscan_shared import media
from reelscan_shared.files import sha256_of

__all__ = ["duration_ms_of", "sha256_of"]


def duration_ms_of(path: Path) -> int | None:
    """The duration the file's packets support (a header's claim beyond them is not
    believed: reelscan_shared.media), or None when the file cannot be read as a video.

    A file that cannot be probed is still registered: its analyses fail with the
    decoder's message, which is where an operator looks for it.
    """
    import av

    try:
        with av.open(str(path)) as container:
            header = int(container.duration * 1000 / av.time_base) if container.duration is not None else None
            if header is not None:
                return media.bounded(header, media.packet_end_ms(container, header))
            stream = next(iter(container.streams.video), None)
            if stream is not None and stream.duration is not None and stream.time_base is not None:
                return int(stream.duration * stream.time_base * 1000)
    except (av.FFmpegError, OSError, ValueError, StopIteration):
        return None
    return None
