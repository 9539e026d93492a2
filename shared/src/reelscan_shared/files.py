"""File helpers every service needs (stdlib only)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from reelscan_shared.domain.errors import PathNotAllowed

_CHUNK = 1 << 20


def sha256_of(path: Path) -> str:
    """SHA-256 of a file's content, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def confine(requested: str, roots: list[Path]) -> Path:
    """Resolve ``requested`` (following symlinks and ``..``) and require it to lie
    inside one of ``roots`` (VIDEO_PATHS); raise PathNotAllowed otherwise."""
    if "\x00" in requested:
        raise PathNotAllowed("path contains a NUL byte")
    resolved = Path(requested).expanduser().resolve()
    for root in roots:
        if resolved == root or resolved.is_relative_to(root):
            return resolved
    raise PathNotAllowed(f"{requested} is outside the configured VIDEO_PATHS")
