"""Weights on disk: where they are, a checksum manifest, and downloads.

Every file lives under MODEL_CACHE_DIR. ``models pull`` records the SHA-256 of
each file it fetches in ``manifest.json`` there (and checks a pinned checksum
where the profile has one), so ``models verify`` can tell a corrupt or replaced
file from a good one long after the download, on an air-gapped host.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from reelscan_shared.files import sha256_of

MANIFEST = "manifest.json"
Progress = Callable[[str, int, int | None], None]


class ChecksumMismatch(Exception):
    pass


def read_manifest(cache_dir: Path) -> dict[str, Any]:
    try:
        return dict(json.loads((cache_dir / MANIFEST).read_text()))
    except FileNotFoundError:
        return {}


def record(cache_dir: Path, relpath: str, url: str) -> str:
    """Hash ``relpath`` and write it to the manifest (atomically); returns the hash."""
    path = cache_dir / relpath
    digest = sha256_of(path)
    manifest = read_manifest(cache_dir)
    manifest[relpath] = {"sha256": digest, "size": path.stat().st_size, "url": url,
                         "pulled_at": datetime.now(UTC).isoformat(timespec="seconds")}
    tmp = cache_dir / f".{MANIFEST}.tmp"
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True))
    os.replace(tmp, cache_dir / MANIFEST)
    return digest


def check(cache_dir: Path, relpath: str, pinned: str | None) -> str:
    """Re-hash a file and compare it with the pinned checksum and the manifest.

    Returns a short status ("sha256 ok", "no recorded checksum"); raises
    ChecksumMismatch naming the file and both hashes.
    """
    digest = sha256_of(cache_dir / relpath)
    expected = pinned or read_manifest(cache_dir).get(relpath, {}).get("sha256")
    if expected is None:
        return "no recorded checksum (not fetched by `models pull`)"
    if digest != expected:
        raise ChecksumMismatch(f"{relpath}: sha256 {digest[:16]}… does not match the expected {expected[:16]}…")
    return "sha256 ok"


def mirrored(url: str, mirror: str | None) -> str:
    """MODEL_MIRROR_URL replaces the origin: ``{mirror}/{file name}``."""
    return f"{mirror.rstrip('/')}/{url.rsplit('/', 1)[-1]}" if mirror else url


def print_progress(name: str, done: int, total: int | None) -> None:
    if total:
        sys.stderr.write(f"\r  {name}: {done / 2**20:7.1f} / {total / 2**20:.1f} MiB ({100 * done // total:3d}%)")
    else:
        sys.stderr.write(f"\r  {name}: {done / 2**20:7.1f} MiB")
    sys.stderr.flush()


def download(url: str, dest: Path, pinned_sha256: str | None = None, progress: Progress = print_progress,
             timeout_s: float = 60.0) -> str:
    """Stream ``url`` to ``dest`` through a ``.partial`` file, hashing on the way.

    The file appears under its real name only when complete and, where a checksum
    is pinned, matching; returns its SHA-256.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    digest = hashlib.sha256()
    last = 0.0
    try:
        with httpx.stream("GET", url, follow_redirects=True, timeout=timeout_s) as resp:
            resp.raise_for_status()
            total = int(resp.headers["content-length"]) if "content-length" in resp.headers else None
            done = 0
            with open(partial, "wb") as fh:
                for chunk in resp.iter_bytes(1 << 20):
                    fh.write(chunk)
                    digest.update(chunk)
                    done += len(chunk)
                    if time.monotonic() - last > 0.5:
                        progress(dest.name, done, total)
                        last = time.monotonic()
            progress(dest.name, done, total)
            if total is not None and done != total:
                raise OSError(f"{url}: got {done} of {total} bytes")
        if pinned_sha256 and digest.hexdigest() != pinned_sha256:
            raise ChecksumMismatch(f"{dest.name} from {url}: sha256 {digest.hexdigest()} is not the published "
                                   f"{pinned_sha256}")
        os.replace(partial, dest)
    finally:
        partial.unlink(missing_ok=True)
    return digest.hexdigest()
