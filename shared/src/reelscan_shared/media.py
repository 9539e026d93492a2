"""How long a video really is: the duration its packets support, not the one its header
claims (issue 26: a 2 s MKV whose header said 10^13 ms was stored as 317 years and a
task ran millions of empty segments).

PyAV is imported when called: the API and the ML service have it, the worker never
calls this. Nothing is decoded: the reader seeks to the last keyframe before the
claimed end and reads the packets from there to the end of the file, so a truthful
file costs one GOP of demuxing and a lying header costs at most one pass over the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

# A header may run a little past the last packet (audio priming, rounding); beyond this
# the packets are believed.
TOLERANCE_MS = 1_000


def duration_ms(path: Path) -> int | None:
    """The video's duration in ms (None when neither header nor packets tell). Raises
    what ``av.open`` raises for a file that is not a video."""
    import av

    with av.open(str(path)) as container:
        header = int(container.duration * 1000 / av.time_base) if container.duration is not None else None
        packets = packet_end_ms(container, header)
    return bounded(header, packets)


def bounded(header_ms: int | None, packets_ms: int | None) -> int | None:
    """The header's duration when the packets support it, else the packets' end."""
    if packets_ms is None:
        return header_ms
    if header_ms is None or abs(header_ms - packets_ms) > TOLERANCE_MS:
        return packets_ms
    return header_ms


def packet_end_ms(container: Any, header_ms: int | None) -> int | None:
    """Where the last audio or video packet ends, in ms from the container's start."""
    import av

    streams = [s for s in container.streams if s.type in ("video", "audio")]
    if not streams:
        return None
    start_us = container.start_time or 0
    if header_ms:
        try:
            container.seek(start_us + header_ms * 1000, backward=True, any_frame=False)
        except (av.FFmpegError, OverflowError, ValueError):
            container.seek(start_us, backward=True)
    end_s: float | None = None
    for packet in container.demux(*streams):
        if packet.pts is None or packet.time_base is None:
            continue
        t = float((packet.pts + (packet.duration or 0)) * packet.time_base)
        end_s = t if end_s is None else max(end_s, t)
    if end_s is None:
        return None
    return max(0, round(end_s * 1000 - start_us / 1000))
