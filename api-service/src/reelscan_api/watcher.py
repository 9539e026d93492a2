"""The filesystem watcher: a scan within seconds of a video file appearing, moving or
going, instead of at the next periodic scan (DISCOVERY_WATCH).

inotify (via watchfiles) tells that something changed under a root; the scan decides
what (domain/library.py), so a missed or doubled event costs nothing: the periodic
scan is still the safety net, and network mounts, which send no events, rely on it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

from watchfiles import Change, DefaultFilter, awatch

from reelscan_shared.domain.videos import is_video_file
from reelscan_shared.logging import get_logger

log = get_logger(__name__)
RETRY_S = 30.0  # a root that is not there (yet) is looked for again this often


class VideoFilter(DefaultFilter):
    """Video files, and anything without a suffix (a directory moved in or out)."""

    def __call__(self, change: Change, path: str) -> bool:
        return super().__call__(change, path) and (is_video_file(path) or not Path(path).suffix)


async def watch_forever(roots: list[Path], scan: Callable[[], Awaitable[object]], debounce_ms: int = 1600) -> None:
    """Scan after each burst of changes (watchfiles groups a burst, e.g. a folder copied in)."""
    while True:
        present = [r for r in roots if r.is_dir()]
        if not present:
            await asyncio.sleep(RETRY_S)
            continue
        try:
            async for changes in awatch(*present, watch_filter=VideoFilter(), debounce=debounce_ms):
                log.info("library_changed", changes=len(changes))
                try:
                    await scan()
                except Exception:
                    log.exception("watch_scan_failed")
                if {r for r in roots if r.is_dir()} != set(present):
                    break  # a root appeared or vanished: watch the new set
        except Exception as exc:  # noqa: BLE001 - a watched root was unmounted or removed
            log.warning("watch_restarting", error=str(exc))
        await asyncio.sleep(1)
