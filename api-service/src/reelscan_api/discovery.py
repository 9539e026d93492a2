"""Video discovery: walk the library roots, register new video files.

A new file becomes one ``videos`` row plus one PENDING task per analysis, in one
transaction; the jobs are enqueued after the commit. A file whose size or mtime
changes during the settle window is still being written and waits for the next
scan. Re-scanning creates nothing new (the path is unique in the database).
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reelscan_api import probe
from reelscan_api.producer import enqueue_all
from reelscan_shared.analyses import ANALYSES, default_config
from reelscan_shared.domain.clock import utcnow
from reelscan_shared.domain.tasks import Task, TaskStatus, TaskType
from reelscan_shared.domain.videos import Video, is_video_file
from reelscan_shared.logging import get_logger
from reelscan_shared.metrics import VIDEOS_DISCOVERED
from reelscan_shared.ports.queue import JobQueue
from reelscan_shared.ports.repositories import VideoRepository

log = get_logger(__name__)
REGISTER_BATCH = 250


@dataclass
class DiscoveryReport:
    found: int = 0
    created: list[dict[str, str]] = field(default_factory=list)
    still_writing: list[str] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    missing_roots: list[str] = field(default_factory=list)


def _walk(roots: list[Path]) -> tuple[dict[Path, os.stat_result], list[str]]:
    found: dict[Path, os.stat_result] = {}
    missing = []
    for root in roots:
        if not root.is_dir():
            missing.append(str(root))
            continue
        for dirpath, _dirs, files in os.walk(root, followlinks=False):
            for name in files:
                if name.startswith(".") or not is_video_file(name):
                    continue
                path = Path(dirpath, name).resolve()
                try:
                    found[path] = path.stat()
                except OSError:
                    continue  # vanished between listing and stat
    return found, missing


def _file_facts(batch: list[tuple[Path, os.stat_result]]) -> list[tuple[str, int | None] | OSError]:
    """Content hash and container duration of each file (a header probe: nothing is decoded)."""
    facts: list[tuple[str, int | None] | OSError] = []
    for path, _ in batch:
        try:
            facts.append((probe.sha256_of(path), probe.duration_ms_of(path)))
        except OSError as exc:
            facts.append(exc)
    return facts


def build_tasks(video_id: str, overrides: Mapping[TaskType, dict[str, Any]]) -> list[Task]:
    """One PENDING task per analysis, each with its full config (defaults and overrides)."""
    now = utcnow()
    return [
        Task(task_id=str(uuid.uuid4()), video_id=video_id, task_type=a.task_type, status=TaskStatus.PENDING,
             queue=a.queue, created_at=now, config=default_config(a.task_type, overrides))
        for a in ANALYSES.values()
    ]


class Discovery:
    def __init__(self, roots: list[Path], videos: VideoRepository, queue: JobQueue,
                 settle_s: float = 1.0, analysis_config: Mapping[TaskType, dict[str, Any]] | None = None,
                 on_registered: Callable[[], None] | None = None) -> None:
        self.roots = roots
        self.videos = videos
        self.queue = queue
        self.settle_s = settle_s
        self.analysis_config = analysis_config or {}
        self.on_registered = on_registered  # told when new videos (and tasks) exist
        self._lock = asyncio.Lock()  # one scan at a time per process

    async def scan(self) -> DiscoveryReport:
        async with self._lock:
            return await self._scan()

    async def _scan(self) -> DiscoveryReport:
        report = DiscoveryReport()
        found, report.missing_roots = await asyncio.to_thread(_walk, self.roots)
        report.found = len(found)
        known = await self.videos.known_paths()
        candidates = {p: st for p, st in found.items() if str(p) not in known}
        if not candidates:
            return report
        if self.settle_s:
            await asyncio.sleep(self.settle_s)
        settled = []
        for path, before in sorted(candidates.items()):
            try:
                after = path.stat()
            except OSError:
                continue
            if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
                report.still_writing.append(str(path))
            else:
                settled.append((path, after))
        # Batches: one thread hop to hash and probe, one transaction, one pipelined
        # enqueue per REGISTER_BATCH files (a 10,000-file library registers in seconds).
        for start in range(0, len(settled), REGISTER_BATCH):
            await self._register(settled[start:start + REGISTER_BATCH], report)
        return report

    async def _register(self, batch: list[tuple[Path, os.stat_result]], report: DiscoveryReport) -> None:
        facts = await asyncio.to_thread(_file_facts, batch)
        entries = []
        for (path, st), fact in zip(batch, facts, strict=True):
            if isinstance(fact, OSError):
                report.errors.append({"path": str(path), "error": str(fact)})
                log.warning("discovery_error", path=str(path), error=str(fact))
                continue
            file_hash, duration_ms = fact
            video = Video(video_id=str(uuid.uuid4()), path=str(path), file_hash=file_hash, size_bytes=st.st_size,
                          duration_ms=duration_ms, mtime=st.st_mtime, discovered_at=utcnow())
            entries.append((video, build_tasks(video.video_id, self.analysis_config)))
        inserted = await self.videos.add_many_with_tasks(entries)
        if inserted and self.on_registered:
            self.on_registered()
        new = [(video, tasks) for video, tasks in entries if video.video_id in inserted]
        VIDEOS_DISCOVERED.inc(len(new))
        await enqueue_all(self.queue, [task for _, tasks in new for task in tasks])
        for video, tasks in new:
            log.info("video_discovered", video_id=video.video_id, path=video.path, tasks=len(tasks))
            report.created.append({"video_id": video.video_id, "path": video.path})

    async def run_forever(self, interval_s: float, claim: Callable[[], Awaitable[bool]] | None = None) -> None:
        """Periodic scans; errors are logged and the loop carries on. With ``claim``, a
        round is skipped when it answers False (another API process has this round)."""
        while True:
            await asyncio.sleep(interval_s)
            try:
                if claim is None or await claim():
                    await self.scan()
            except Exception:  # a failed scan must not stop future scans
                log.exception("discovery_scan_failed")
