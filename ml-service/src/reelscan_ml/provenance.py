"""Provenance of every response: run id, config and input hashes, producer."""

from __future__ import annotations

import functools
import uuid
from pathlib import Path

from reelscan_ml import __version__
from reelscan_shared.domain.artifacts import config_hash
from reelscan_shared.files import sha256_of

__all__ = ["config_hash", "input_hash", "new_run_id", "producer_version"]


@functools.lru_cache(maxsize=256)
def _file_sha256(path: str, size: int, mtime_ns: int) -> str:  # noqa: ARG001 - size/mtime key the cache
    return sha256_of(Path(path))


def input_hash(path: Path) -> str:
    st = path.stat()
    return _file_sha256(str(path), st.st_size, st.st_mtime_ns)


def new_run_id() -> str:
    return uuid.uuid4().hex


def producer_version(library: str, library_version: str) -> str:
    return f"reelscan-ml {__version__}; {library} {library_version}"
