"""Playing a video in a browser: the file's media type, and whether browsers play it.

Browsers (Chromium, Firefox, Safari) play H.264, VP8, VP9 and AV1 video in MP4, WebM
and QuickTime (MOV) files; not HEVC (outside Safari and some hardware), MPEG-2,
MPEG-4 Part 2, ProRes, nor AVI or Matroska as containers. Discovery records the
container, not the codec, so ``playable`` is decided by the container: an MP4/MOV
holding HEVC is reported playable and the player's own error says otherwise
(docs/web-api.md).
"""

from __future__ import annotations

import mimetypes
from pathlib import PurePath

# The library's video extensions (domain/videos.py VIDEO_EXTENSIONS); mimetypes' own
# table lacks some of them on some systems (.mkv), so these come first.
MEDIA_TYPES = {
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".mov": "video/quicktime",
    ".webm": "video/webm",
    ".mkv": "video/x-matroska",
    ".avi": "video/x-msvideo",
}
PLAYABLE_CONTAINERS = frozenset({".mp4", ".m4v", ".mov", ".webm"})


def media_type(path: str | PurePath) -> str:
    suffix = PurePath(path).suffix.lower()
    if suffix in MEDIA_TYPES:
        return MEDIA_TYPES[suffix]
    guessed, _ = mimetypes.guess_type(str(path), strict=False)
    return guessed or "application/octet-stream"


def playable(path: str | PurePath) -> bool:
    """Whether a browser's <video> can be expected to play the file."""
    return PurePath(path).suffix.lower() in PLAYABLE_CONTAINERS
