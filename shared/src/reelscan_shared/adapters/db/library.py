"""The library's files in PostgreSQL: what a scan found, applied to videos, paths and
tasks (the decisions are domain/library.py's; this is how they are stored).

Every change runs in one transaction under one advisory lock, so two scanners (API
processes, replicas, the watcher) never race: the second sees what the first did.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from reelscan_shared.adapters.db import outbox
from reelscan_shared.adapters.db.engine import Database
from reelscan_shared.adapters.db.locks import lock_library
from reelscan_shared.adapters.db.repositories import apply_locked, task_row
from reelscan_shared.adapters.db.tables import tasks, video_paths, videos
from reelscan_shared.domain.clock import utcnow
from reelscan_shared.domain.events import EventType
from reelscan_shared.domain.library import (
    CONTENT_CHANGED,
    MISSING_REASON,
    FileFacts,
    HashedFile,
    KnownPath,
    LibraryChanges,
)
from reelscan_shared.domain.tasks import Event, TaskStatus
from reelscan_shared.domain.videos import VideoStatus
from reelscan_shared.ports.library import NewVideo


def _path_row(video_id: str, f: HashedFile, now: datetime) -> dict[str, object]:
    return {"path": f.path, "video_id": video_id, "size_bytes": f.facts.size_bytes, "mtime": f.facts.mtime,
            "added_at": now}


class SqlLibrary:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def known_paths(self) -> dict[str, KnownPath]:
        async with self._db.engine.connect() as conn:  # the primary: a replica's lag would re-hash
            rows = (await conn.execute(select(video_paths))).mappings().all()
        return {r["path"]: KnownPath(r["path"], r["video_id"], FileFacts(r["size_bytes"], r["mtime"]))
                for r in rows}

    async def has_paths_under(self, root: str) -> bool:
        prefix = root.rstrip("/") + "/"
        stmt = select(video_paths.c.path).where(func.starts_with(video_paths.c.path, prefix)).limit(1)
        async with self._db.reads.connect() as conn:
            return (await conn.execute(stmt)).first() is not None

    async def apply_hashed(self, arriving: Sequence[HashedFile], changed: Sequence[HashedFile],
                           new_video: NewVideo) -> LibraryChanges:
        """Files read through: changed ones first, then arriving ones, so a file that was
        overwritten with another's content, then that one moved, ends in the right place."""
        out = LibraryChanges()
        async with self._db.engine.begin() as conn:
            await lock_library(conn)
            now = utcnow()
            hashes = sorted({f.file_hash for f in (*arriving, *changed)})
            by_hash = {r.file_hash: r.video_id for r in (await conn.execute(
                select(videos.c.video_id, videos.c.file_hash).where(videos.c.file_hash.in_(hashes))
                .order_by(videos.c.discovered_at.desc())  # the oldest video of a hash wins
            )).all()}
            for f in changed:
                await self._changed(conn, f, by_hash, new_video, now, out)
            await self._arriving(conn, arriving, by_hash, new_video, now, out)
        return out

    async def apply_gone(self, paths: Sequence[str]) -> LibraryChanges:
        out = LibraryChanges()
        if not paths:
            return out
        async with self._db.engine.begin() as conn:
            await lock_library(conn)
            owners = set((await conn.execute(
                delete(video_paths).where(video_paths.c.path.in_(paths)).returning(video_paths.c.video_id)
            )).scalars().all())
            for video_id in sorted(owners):
                await self._lost_path(conn, video_id, utcnow(), out)
        return out

    async def purge_missing(self, missing_before: datetime) -> list[str]:
        """Delete videos missing since before the cutoff, with their tasks and artifacts."""
        async with self._db.engine.begin() as conn:
            await lock_library(conn)
            return list((await conn.execute(
                delete(videos).where(videos.c.status == VideoStatus.MISSING.value,
                                     videos.c.missing_since < missing_before).returning(videos.c.video_id)
            )).scalars().all())

    async def _changed(self, conn: AsyncConnection, f: HashedFile, by_hash: dict[str, str], new_video: NewVideo,
                       now: datetime, out: LibraryChanges) -> None:
        row = (await conn.execute(select(video_paths.c.video_id).where(video_paths.c.path == f.path)
                                  .with_for_update())).first()
        if row is None:  # gone meanwhile (another scanner): it arrives again
            await self._arriving(conn, [f], by_hash, new_video, now, out)
            return
        video_id = row.video_id
        current_hash = (await conn.execute(select(videos.c.file_hash).where(videos.c.video_id == video_id))
                        ).scalar_one()
        if f.file_hash == current_hash:  # touched, same content
            await conn.execute(update(video_paths).where(video_paths.c.path == f.path).values(
                size_bytes=f.facts.size_bytes, mtime=f.facts.mtime))
            out.unchanged.append(f.path)
            return
        others = (await conn.execute(select(func.count()).select_from(video_paths).where(
            video_paths.c.video_id == video_id, video_paths.c.path != f.path))).scalar_one()
        if f.file_hash in by_hash or others:
            # The path now holds another video's content, or copies elsewhere still hold the
            # old content: the path leaves this video and arrives with its new content.
            await conn.execute(delete(video_paths).where(video_paths.c.path == f.path))
            await self._arriving(conn, [f], by_hash, new_video, now, out)
            await self._lost_path(conn, video_id, now, out)
            return
        # The only file of this video has new content: a new version of the same video.
        await conn.execute(update(video_paths).where(video_paths.c.path == f.path).values(
            size_bytes=f.facts.size_bytes, mtime=f.facts.mtime))
        await conn.execute(update(videos).where(videos.c.video_id == video_id).values(
            file_hash=f.file_hash, size_bytes=f.facts.size_bytes, mtime=f.facts.mtime, duration_ms=f.duration_ms))
        by_hash[f.file_hash] = video_id
        for task_id in (await conn.execute(select(tasks.c.task_id).where(tasks.c.video_id == video_id))).scalars():
            if await apply_locked(conn, task_id, Event.RERUN, now, error=CONTENT_CHANGED) is not None:
                out.to_requeue.append(task_id)
        out.new_versions.append((video_id, f.path))

    async def _arriving(self, conn: AsyncConnection, files: Sequence[HashedFile], by_hash: dict[str, str],
                        new_video: NewVideo, now: datetime, out: LibraryChanges) -> None:
        """Paths the library does not know: each joins the video with its content, or the
        first of a content makes a new video. New videos, their paths and tasks are written
        in three multi-row statements (a first scan of a large library is all new)."""
        taken = set((await conn.execute(select(video_paths.c.path).where(
            video_paths.c.path.in_([f.path for f in files])))).scalars().all())
        new_videos: list[dict[str, object]] = []
        new_paths: list[dict[str, object]] = []
        new_tasks: list[dict[str, object]] = []
        created: set[str] = set()
        for f in files:
            if f.path in taken:
                continue  # another scanner (API process, watcher) registered it while this one hashed
            video_id = by_hash.get(f.file_hash)
            if video_id is None:
                video, made = new_video(f)
                new_videos.append({"video_id": video.video_id, "path": f.path, "file_hash": f.file_hash,
                                   "size_bytes": f.facts.size_bytes, "duration_ms": f.duration_ms,
                                   "mtime": f.facts.mtime, "discovered_at": now})
                new_tasks.extend(task_row(t) for t in made)
                new_paths.append(_path_row(video.video_id, f, now))
                by_hash[f.file_hash] = video.video_id  # a copy later in this batch joins it
                created.add(video.video_id)
                out.created.append((video.video_id, f.path))
                out.to_enqueue.extend(t.task_id for t in made)
            elif video_id in created:
                new_paths.append(_path_row(video_id, f, now))
                out.attached.append((video_id, f.path))
            else:
                await conn.execute(insert(video_paths).values(_path_row(video_id, f, now)))
                out.attached.append((video_id, f.path))
                await self._returned(conn, video_id, f.path, now, out)
        for table, rows in ((videos, new_videos), (video_paths, new_paths), (tasks, new_tasks)):
            if rows:
                await conn.execute(insert(table), rows)

    async def _returned(self, conn: AsyncConnection, video_id: str, path: str, now: datetime,
                        out: LibraryChanges) -> None:
        """A path of this content arrived: if the video was missing, it is present again."""
        status = (await conn.execute(select(videos.c.status).where(videos.c.video_id == video_id)
                                     .with_for_update())).scalar_one()
        if status != VideoStatus.MISSING.value:
            return
        await conn.execute(update(videos).where(videos.c.video_id == video_id).values(
            status=VideoStatus.PRESENT.value, missing_since=None, path=path))
        out.returned.append(video_id)
        # What the video's going missing cancelled runs now; what was done stays done.
        cancelled = (await conn.execute(select(tasks.c.task_id).where(
            tasks.c.video_id == video_id, tasks.c.status == TaskStatus.CANCELLED.value,
            tasks.c.error == MISSING_REASON))).scalars().all()
        for task_id in cancelled:
            if await apply_locked(conn, task_id, Event.RETRY, now) is not None:
                out.to_requeue.append(task_id)

    async def _lost_path(self, conn: AsyncConnection, video_id: str, now: datetime, out: LibraryChanges) -> None:
        """One of the video's paths is gone: read it from another path, or it is missing."""
        left = (await conn.execute(select(video_paths.c.path).where(video_paths.c.video_id == video_id)
                                   .order_by(video_paths.c.added_at.desc()).limit(1))).scalar()
        if left is not None:
            await conn.execute(update(videos).where(videos.c.video_id == video_id).values(path=left))
            return
        went = await conn.execute(update(videos).where(videos.c.video_id == video_id,
                                                       videos.c.status == VideoStatus.PRESENT.value)
                                  .values(status=VideoStatus.MISSING.value, missing_since=now))
        if not went.rowcount:
            return  # missing already
        out.missing.append(video_id)
        path = (await conn.execute(select(videos.c.path).where(videos.c.video_id == video_id))).scalar()
        await outbox.emit(conn, EventType.VIDEO_MISSING, {"video_id": video_id, "last_path": path}, now)
        pending = (await conn.execute(select(tasks.c.task_id).where(
            tasks.c.video_id == video_id, tasks.c.status == TaskStatus.PENDING.value))).scalars().all()
        for task_id in pending:
            if await apply_locked(conn, task_id, Event.CANCEL, now, error=MISSING_REASON) is not None:
                out.to_abort.append(task_id)
