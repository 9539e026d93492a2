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


def _range_start(content_range: str | None) -> int | None:
    """The first byte of a ``Content-Range: bytes START-END/TOTAL`` answer."""
    if not content_range or not content_range.startswith("bytes "):
        return None
    try:
        return int(content_range[6:].split("-", 1)[0])
    except ValueError:
        return None


def download(url: str, dest: Path, pinned_sha256: str | None = None, progress: Progress = print_progress,
             timeout_s: float = 60.0, connect_timeout_s: float = 5.0) -> str:
    """Stream ``url`` to ``dest`` through a ``.partial`` file, hashing on the way.

    The file appears under its real name only when complete and, where a checksum
    is pinned, matching; returns its SHA-256. A transfer that breaks (network error,
    short read) leaves the ``.partial`` file, and the next call asks for the rest
    (``Range``): a server that answers 206 sends only the remainder (the bytes already
    here are hashed first), one that answers 200 sends it all again. A checksum that
    does not match deletes the partial file. An unreachable host fails within
    ``connect_timeout_s``.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    have = partial.stat().st_size if partial.exists() else 0
    headers = {"Range": f"bytes={have}-"} if have else {}
    timeout = httpx.Timeout(timeout_s, connect=min(connect_timeout_s, timeout_s))
    digest = hashlib.sha256()
    last = 0.0
    with httpx.stream("GET", url, headers=headers, follow_redirects=True, timeout=timeout) as resp:
        if resp.status_code == 416 and have:
            # The server has no bytes past ours: the partial file is not a prefix it knows. Start over.
            resp.close()
            partial.unlink()
            return download(url, dest, pinned_sha256, progress, timeout_s, connect_timeout_s)
        resp.raise_for_status()
        length = int(resp.headers["content-length"]) if "content-length" in resp.headers else None
        resumed = resp.status_code == 206
        if resumed and _range_start(resp.headers.get("content-range")) != have:
            partial.unlink()
            raise OSError(f"{url}: asked for bytes from {have}, got {resp.headers.get('content-range')!r}")
        done = have if resumed else 0
        total = done + length if length is not None else None
        with open(partial, "r+b" if resumed else "wb") as fh:
            if resumed:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
            for chunk in resp.iter_bytes():  # as they arrive: a broken transfer keeps all it got
                fh.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                if time.monotonic() - last > 0.5:
                    progress(dest.name, done, total)
                    last = time.monotonic()
        progress(dest.name, done, total)
        if total is not None and done != total:
            raise OSError(f"{url}: got {done} of {total} bytes (the next pull resumes)")
    if pinned_sha256 and digest.hexdigest() != pinned_sha256:
        partial.unlink(missing_ok=True)
        raise ChecksumMismatch(f"{dest.name} from {url}: sha256 {digest.hexdigest()} is not the published "
                               f"{pinned_sha256}")
    os.replace(partial, dest)
    return digest.hexdigest()
