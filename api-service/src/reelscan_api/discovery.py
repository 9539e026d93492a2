"""Video discovery: walk the library roots and bring the library in line with them.

What a scan changes is domain/library.py's to decide: new content becomes a video
with one PENDING task per analysis; a moved, copied or returning file joins the
video with its content (nothing is analysed again); new content at a known path is
a new version, analysed again; a path gone makes its video MISSING once no path is
left. The jobs are enqueued after each commit. A file whose size or mtime changes
during the settle window is still being written and waits for the next scan.
Videos missing for longer than MISSING_RETENTION_DAYS are purged.
"""

from __future__ import annotations

import asyncio
import os
import stat
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from reelscan_api import probe
from reelscan_api.producer import abort_all, enqueue_all, requeue_all
from reelscan_shared.analyses import ANALYSES, default_config
from reelscan_shared.domain.clock import utcnow
from reelscan_shared.domain.library import FileFacts, HashedFile, LibraryChanges, RootState, plan_scan
from reelscan_shared.domain.tasks import Priority, Task, TaskStatus, TaskType
from reelscan_shared.domain.videos import Video, is_video_file
from reelscan_shared.files import has_reserved_code_points, os_path, shown_path, stored_path
from reelscan_shared.logging import get_logger
from reelscan_shared.metrics import VIDEOS_DISCOVERED
from reelscan_shared.ports.library import Library
from reelscan_shared.ports.queue import JobQueue
from reelscan_shared.ports.repositories import TaskRepository

log = get_logger(__name__)
REGISTER_BATCH = 250


@dataclass
class DiscoveryReport:
    found: int = 0
    created: list[dict[str, str]] = field(default_factory=list)
    attached: list[dict[str, str]] = field(default_factory=list)  # moves, copies, returns: nothing re-analysed
    new_versions: list[dict[str, str]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    returned: list[str] = field(default_factory=list)
    purged: list[str] = field(default_factory=list)
    still_writing: list[str] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    missing_roots: list[str] = field(default_factory=list)  # unavailable: nothing under them is gone


def _root_state(root: Path) -> RootState:
    if not root.is_dir():
        return RootState.ABSENT
    try:
        with os.scandir(root) as entries:
            return RootState.LISTED if next(entries, None) is not None else RootState.EMPTY
    except OSError:  # a stale network mount says "is a directory", then fails to list
        return RootState.ABSENT


def _walk(roots: list[Path]) -> tuple[dict[str, FileFacts], dict[str, RootState], list[dict[str, str]]]:
    """Every video file under the roots, and the files left out, each with its reason.
    Paths are keyed as stored (``stored_path``: a name that is not UTF-8 is kept
    without loss). No single file can stop a scan: a symlink loop, a link that leads
    out of the roots, a FIFO or device named *.mp4 (reading it would block the scan)
    are each skipped and reported."""
    found: dict[str, FileFacts] = {}
    states: dict[str, RootState] = {}
    skipped: list[dict[str, str]] = []
    resolved_roots = [r.resolve() for r in roots]
    for root in roots:
        states[str(root)] = state = _root_state(root)
        if state is not RootState.LISTED:
            continue
        for dirpath, _dirs, files in os.walk(root, followlinks=False):
            for name in files:
                if name.startswith(".") or not is_video_file(name):
                    continue
                listed = os.path.join(dirpath, name)
                reason = _skip_reason(listed, resolved_roots)
                if isinstance(reason, str):
                    skipped.append({"path": shown_path(stored_path(listed)), "error": reason})
                elif reason is not None:
                    path, st = reason
                    found[stored_path(str(path))] = FileFacts(st.st_size, st.st_mtime)
    return found, states, skipped


def _skip_reason(listed: str, roots: list[Path]) -> str | tuple[Path, os.stat_result] | None:
    """The file's resolved path and stat, a reason to leave it out, or None when it
    vanished between listing and stat (nothing to report)."""
    if has_reserved_code_points(listed):
        return "file name holds code points U+10FE80-U+10FEFF, which stand for bytes that are not UTF-8: rename it"
    try:
        path = Path(listed).resolve(strict=True)
        st = path.stat()
    except RuntimeError:  # Python 3.11 raises this for a symlink loop
        return "symlink loop"
    except FileNotFoundError:
        return None if not os.path.islink(listed) else "broken symlink"
    except OSError as exc:
        return f"cannot be read: {exc.strerror or exc}"
    if not any(path.is_relative_to(r) for r in roots):
        return "symlink to a file outside VIDEO_PATHS"
    if not stat.S_ISREG(st.st_mode):
        return "not a regular file (FIFO, socket or device)"
    return path, st


def _hash_files(paths: list[str], facts: dict[str, FileFacts]) -> list[HashedFile | OSError]:
    """Content hash and container duration of each file (a header probe: nothing is decoded)."""
    out: list[HashedFile | OSError] = []
    for path in paths:
        try:
            file = Path(os_path(path))
            out.append(HashedFile(path, probe.sha256_of(file), facts[path], probe.duration_ms_of(file)))
        except OSError as exc:
            out.append(exc)
    return out


def build_tasks(video_id: str, overrides: Mapping[TaskType, dict[str, Any]],
                priority: Priority = Priority.NORMAL) -> list[Task]:
    """One PENDING task per analysis, each with its full config (defaults and overrides)."""
    now = utcnow()
    return [
        Task(task_id=str(uuid.uuid4()), video_id=video_id, task_type=a.task_type, status=TaskStatus.PENDING,
             queue=a.queue, created_at=now, config=default_config(a.task_type, overrides), priority=priority)
        for a in ANALYSES.values()
    ]


class Discovery:
    def __init__(self, roots: list[Path], library: Library, tasks: TaskRepository, queue: JobQueue,
                 settle_s: float = 1.0, analysis_config: Mapping[TaskType, dict[str, Any]] | None = None,
                 on_registered: Callable[[], None] | None = None, missing_retention_days: float = 30.0,
                 on_skipped: Callable[[list[dict[str, str]]], Awaitable[None]] | None = None) -> None:
        self.roots = roots
        self.library = library
        self.tasks = tasks
        self.queue = queue
        self.settle_s = settle_s
        self.analysis_config = analysis_config or {}
        self.on_registered = on_registered  # told when tasks were created or changed status
        self.missing_retention = timedelta(days=missing_retention_days)
        self.on_skipped = on_skipped  # told after each scan which files it left out (for /health)
        self._lock = asyncio.Lock()  # one scan at a time per process

    async def root_states(self) -> dict[str, str]:
        """Each root's state for /health: listed, empty, absent, or unavailable (empty
        while videos are known under it: an unmounted disk's bare mount point)."""
        states = {str(r): await asyncio.to_thread(_root_state, r) for r in self.roots}
        return {root: "unavailable" if state is RootState.EMPTY and await self.library.has_paths_under(root)
                else state.value for root, state in states.items()}

    async def scan(self) -> DiscoveryReport:
        async with self._lock:
            return await self._scan()

    async def _scan(self) -> DiscoveryReport:
        report = DiscoveryReport()
        found, roots, skipped = await asyncio.to_thread(_walk, self.roots)
        for item in skipped:
            log.warning("discovery_skipped", path=item["path"], reason=item["error"])
        report.errors += skipped
        plan = plan_scan(await self.library.known_paths(), found, roots)
        report.found, report.missing_roots = len(found), plan.unavailable_roots
        if plan.unavailable_roots:
            log.warning("library_roots_unavailable", roots=plan.unavailable_roots)
        settled = await self._settled(plan.arriving + plan.changed, found, report)
        changed = set(plan.changed)
        # Batches: one thread hop to hash and probe, one transaction, one pipelined
        # enqueue per REGISTER_BATCH files (a 10,000-file library registers in seconds).
        for start in range(0, len(settled), REGISTER_BATCH):
            batch = settled[start:start + REGISTER_BATCH]
            hashed = []
            for path, fact in zip(batch, await asyncio.to_thread(_hash_files, batch, found), strict=True):
                if isinstance(fact, OSError):
                    report.errors.append({"path": shown_path(path), "error": str(fact)})
                    log.warning("discovery_error", path=path, error=str(fact))
                else:
                    hashed.append(fact)
            await self._apply(report, await self.library.apply_hashed(
                [f for f in hashed if f.path not in changed], [f for f in hashed if f.path in changed],
                self._new_video))
        # After every arrival: a file moved in this scan has its new path before its old one goes.
        await self._apply(report, await self.library.apply_gone(plan.gone))
        report.purged = await self.library.purge_missing(utcnow() - self.missing_retention)
        for video_id in report.purged:
            log.info("video_purged", video_id=video_id, reason="missing for longer than MISSING_RETENTION_DAYS")
        if self.on_skipped:
            await self.on_skipped(report.errors)
        return report

    async def _settled(self, paths: list[str], found: dict[str, FileFacts], report: DiscoveryReport) -> list[str]:
        """The paths whose size and mtime held still over the settle window (a file still
        being copied in is left for the next scan)."""
        if paths and self.settle_s:
            await asyncio.sleep(self.settle_s)
        settled = []
        for path in paths:
            try:
                st = os.stat(os_path(path))
            except OSError:
                continue
            if FileFacts(st.st_size, st.st_mtime) != found[path]:
                report.still_writing.append(path)
            else:
                settled.append(path)
        return settled

    def _new_video(self, f: HashedFile) -> tuple[Video, list[Task]]:
        video = Video(video_id=str(uuid.uuid4()), path=f.path, file_hash=f.file_hash, size_bytes=f.facts.size_bytes,
                      duration_ms=f.duration_ms, mtime=f.facts.mtime, discovered_at=utcnow())
        return video, build_tasks(video.video_id, self.analysis_config)

    async def _apply(self, report: DiscoveryReport, changes: LibraryChanges) -> None:
        """Report what the library did, then put the queue in line with it."""
        for video_id, path in changes.created:
            log.info("video_discovered", video_id=video_id, path=path)
            report.created.append({"video_id": video_id, "path": path})
        for kind, pairs in (("video_path_added", changes.attached), ("video_changed", changes.new_versions)):
            for video_id, path in pairs:
                log.info(kind, video_id=video_id, path=path)
        report.attached += [{"video_id": v, "path": p} for v, p in changes.attached]
        report.new_versions += [{"video_id": v, "path": p} for v, p in changes.new_versions]
        for video_id in changes.missing:
            log.warning("video_missing", video_id=video_id)
        report.missing += changes.missing
        report.returned += changes.returned
        VIDEOS_DISCOVERED.inc(len(changes.created))
        if (changes.to_enqueue or changes.to_requeue or changes.to_abort) and self.on_registered:
            self.on_registered()
        await enqueue_all(self.queue, await self.tasks.get_many(changes.to_enqueue))
        await requeue_all(self.queue, await self.tasks.get_many(changes.to_requeue), "discovery")
        await abort_all(self.queue, await self.tasks.get_many(changes.to_abort))

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
