"""Videos: files found under the library roots."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePath

VIDEO_EXTENSIONS = frozenset({".mp4", ".mov", ".mkv", ".avi", ".webm", ".m4v"})


def is_video_file(path: str | PurePath) -> bool:
    return PurePath(path).suffix.lower() in VIDEO_EXTENSIONS


@dataclass(frozen=True)
class Video:
    video_id: str
    path: str
    file_hash: str
    size_bytes: int
    discovered_at: datetime
    duration_ms: int | None = None
    mtime: float | None = None
