"""The library port: the files the library knows, and applying what a scan found."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from reelscan_shared.domain.library import HashedFile, KnownPath, LibraryChanges
from reelscan_shared.domain.tasks import Task
from reelscan_shared.domain.videos import Video

NewVideo = Callable[[HashedFile], tuple[Video, list[Task]]]


class Library(Protocol):
    async def known_paths(self) -> dict[str, KnownPath]: ...

    async def has_paths_under(self, root: str) -> bool: ...

    async def apply_hashed(self, arriving: Sequence[HashedFile], changed: Sequence[HashedFile],
                           new_video: NewVideo) -> LibraryChanges:
        """Files read through, in one transaction: each joins the video with its content,
        becomes a new version of its video, or a new video (made by ``new_video``)."""
        ...

    async def apply_gone(self, paths: Sequence[str]) -> LibraryChanges:
        """Paths no longer there: their videos read from another path, or go MISSING
        (pending tasks cancelled with MISSING_REASON)."""
        ...

    async def purge_missing(self, missing_before: datetime) -> list[str]:
        """Delete the videos missing since before the cutoff; their ids."""
        ...
