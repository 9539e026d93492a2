"""What a scan of the library roots changes, decided from file facts alone.

A scan compares the files it found with the paths the library knows:
- a path it does not know is *arriving*: once hashed, it joins the video with that
  content (a move, a copy, a missing file come back) or becomes a new video;
- a known path whose size or mtime changed is *changed*: once hashed, the same
  content only updates the facts, other content is a new version (or another video);
- a known path that is not there any more is *gone*, unless its root is unavailable.

A root that is not a directory, or is an empty directory while the library knows
files under it, is *unavailable* (an unmounted disk, a network share that is down):
nothing under it is gone. A whole library never disappears because a mount did.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePath

MISSING_REASON = "video file missing"  # the error of the tasks a missing video's cancel leaves
CONTENT_CHANGED = "the video file changed: analysing the new content"


@dataclass(frozen=True)
class FileFacts:
    """What stat says of a file: enough to notice that it changed without reading it."""

    size_bytes: int
    mtime: float


@dataclass(frozen=True)
class KnownPath:
    path: str
    video_id: str
    facts: FileFacts


@dataclass(frozen=True)
class HashedFile:
    """A file read through: its content hash and container duration."""

    path: str
    file_hash: str
    facts: FileFacts
    duration_ms: int | None


class RootState(enum.StrEnum):
    LISTED = "listed"  # a directory with entries (or empty and nothing known under it)
    EMPTY = "empty"  # an empty directory
    ABSENT = "absent"  # not there, or not a directory


@dataclass
class ScanPlan:
    arriving: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)
    unavailable_roots: list[str] = field(default_factory=list)


def root_of(path: str, roots: Iterable[str]) -> str | None:
    """The library root the path lies under (the longest one, roots may nest)."""
    p = PurePath(path)
    under = [r for r in roots if p.is_relative_to(r)]
    return max(under, key=len) if under else None


def plan_scan(known: Mapping[str, KnownPath], found: Mapping[str, FileFacts],
              roots: Mapping[str, RootState]) -> ScanPlan:
    """Sort found and known paths into arriving, changed and gone (see the module doc)."""
    plan = ScanPlan()
    known_roots = {root_of(p, roots) for p in known}
    for root, state in roots.items():
        if state is RootState.ABSENT or (state is RootState.EMPTY and root in known_roots):
            plan.unavailable_roots.append(root)
    for path, facts in found.items():
        before = known.get(path)
        if before is None:
            plan.arriving.append(path)
        elif before.facts != facts:
            plan.changed.append(path)
    unavailable = set(plan.unavailable_roots)
    for path in known:
        if path not in found:
            under = root_of(path, roots)
            # A path under no configured root (the root was removed from VIDEO_PATHS) is
            # left as it is: taking a root out of the configuration deletes nothing either.
            if under is not None and under not in unavailable:
                plan.gone.append(path)
    plan.arriving.sort()
    plan.changed.sort()
    plan.gone.sort()
    return plan


@dataclass
class LibraryChanges:
    """What applying hashed files (or gone paths) did, for the scan report and the queue."""

    created: list[tuple[str, str]] = field(default_factory=list)  # (video_id, path) of new videos
    attached: list[tuple[str, str]] = field(default_factory=list)  # (video_id, path): a move, copy or return
    new_versions: list[tuple[str, str]] = field(default_factory=list)  # (video_id, path) with new content
    unchanged: list[str] = field(default_factory=list)  # paths touched (mtime) with the same content
    missing: list[str] = field(default_factory=list)  # video ids none of whose files exist now
    returned: list[str] = field(default_factory=list)  # video ids present again
    to_enqueue: list[str] = field(default_factory=list)  # task ids of new videos: fresh jobs
    to_requeue: list[str] = field(default_factory=list)  # task ids run again: a finished job's result is cleared
    to_abort: list[str] = field(default_factory=list)  # task ids cancelled or re-run whose job must stop
