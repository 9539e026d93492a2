"""Confine requested video paths to the library roots (VIDEO_PATHS)."""

from __future__ import annotations

from pathlib import Path

from reelscan_shared.domain.errors import PathNotAllowed


def confine(requested: str, roots: list[Path]) -> Path:
    """Resolve ``requested`` (following symlinks and ``..``) and require it to lie
    inside one of ``roots``; raise PathNotAllowed otherwise."""
    if "\x00" in requested:
        raise PathNotAllowed("path contains a NUL byte")
    resolved = Path(requested).expanduser().resolve()
    for root in roots:
        if resolved == root or resolved.is_relative_to(root):
            return resolved
    raise PathNotAllowed(f"{requested} is outside the configured VIDEO_PATHS")
