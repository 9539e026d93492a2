"""File helpers every service needs (stdlib only)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from reelscan_shared.domain.errors import PathNotAllowed

_CHUNK = 1 << 20

# File names that are not UTF-8. Python hands such a name over with each undecodable
# byte as a lone surrogate (U+DC80-U+DCFF, PEP 383); PostgreSQL text and JSON cannot
# hold those. A stored path carries byte 0xNN as the private-use code point U+10FENN
# instead, so that every name is stored without loss and turns back into the same
# bytes: `stored_path` on the way in, `os_path` (in `confine`) on the way to the file.
# A real name holding one of those 128 code points would be ambiguous; discovery
# leaves it out (`has_reserved_code_points`).
_RESERVED = 0x10FE00
_TO_STORED = {0xDC00 + b: _RESERVED + b for b in range(0x80, 0x100)}
_TO_OS = {_RESERVED + b: 0xDC00 + b for b in range(0x80, 0x100)}


def stored_path(os_name: str) -> str:
    """A path as the OS gave it, as text PostgreSQL and JSON can hold (see above)."""
    return os_name.translate(_TO_STORED)


def os_path(stored: str) -> str:
    """The path the OS knows for a stored one: the inverse of ``stored_path``."""
    return stored.translate(_TO_OS)


def shown_path(stored: str) -> str:
    """A stored path for people to read (logs, terminals): bytes that are not UTF-8 as
    \\xNN. For display only: unlike the stored form, it is not always reversible."""
    return os.fsencode(os_path(stored)).decode("utf-8", "backslashreplace")


def has_reserved_code_points(os_name: str) -> bool:
    return any(_RESERVED + 0x80 <= ord(c) <= _RESERVED + 0xFF for c in os_name)


def sha256_of(path: Path) -> str:
    """SHA-256 of a file's content, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def confine(requested: str, roots: list[Path]) -> Path:
    """Resolve the stored path ``requested`` (following symlinks and ``..``) to the
    file's OS path and require it to lie inside one of ``roots`` (VIDEO_PATHS); raise
    PathNotAllowed otherwise."""
    if "\x00" in requested:
        raise PathNotAllowed("path contains a NUL byte")
    resolved = Path(os_path(requested)).expanduser().resolve()
    for root in roots:
        if resolved == root or resolved.is_relative_to(root):
            return resolved
    raise PathNotAllowed(f"{requested} is outside the configured VIDEO_PATHS")
