"""Videos: content found under the library roots.

A video is its content (the file's SHA-256); paths point to it. A moved or renamed
file keeps its video; the same content at two paths is one video with two paths. A
video none of whose paths exist any more is MISSING until a file with its content
comes back (domain/library.py plans what a scan changes).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePath

VIDEO_EXTENSIONS = frozenset({".mp4", ".mov", ".mkv", ".avi", ".webm", ".m4v"})


def is_video_file(path: str | PurePath) -> bool:
    return PurePath(path).suffix.lower() in VIDEO_EXTENSIONS


class VideoStatus(enum.StrEnum):
    PRESENT = "present"
    MISSING = "missing"


@dataclass(frozen=True)
class Video:
    video_id: str
    path: str
    file_hash: str
    size_bytes: int
    discovered_at: datetime
    duration_ms: int | None = None
    mtime: float | None = None
    status: VideoStatus = VideoStatus.PRESENT
    missing_since: datetime | None = None
    paths: tuple[str, ...] = ()  # every path with this content; ``path`` is the one analyses read


class VideoSort(enum.StrEnum):
    """The library list's orders: newest discovered first, file name A to Z (case
    folded), shortest first (unknown lengths last); each ties on the video id."""

    NEWEST = "newest"
    NAME = "name"
    DURATION = "duration"


@dataclass(frozen=True)
class VideoProgress:
    """A video's tasks by state: how far its analyses have got."""

    total: int = 0
    completed: int = 0
    running: int = 0
    failed: int = 0


@dataclass(frozen=True)
class LabelFound:
    kind: str  # search.LabelKind's value: objects, faces, places
    label: str


TOP_LABELS = 3  # labels a video's findings name


@dataclass(frozen=True)
class VideoFindings:
    """What the analyses found in a video, at a glance (the library's cards)."""

    top_labels: tuple[LabelFound, ...] = ()  # the longest on screen first
    face_seconds: float = 0.0  # time with a face on screen
    words_read: int = 0  # words of on-screen text (each distinct text once)
    scenes: int = 0


@dataclass(frozen=True)
class VideoOverview:
    progress: VideoProgress
    findings: VideoFindings
