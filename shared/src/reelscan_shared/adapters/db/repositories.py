"""PostgreSQL implementations of the repository ports (SQLAlchemy Core, asyncpg).

Every state change locks the task row, applies the domain's ``Task.apply`` and
writes the result in one transaction, so concurrent actors (API, workers,
reconciler) cannot race a task into a state the transition table forbids.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, insert, literal, or_, select, text, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from reelscan_shared.adapters.db import labels as stored_labels
from reelscan_shared.adapters.db import outbox, task_listing, text_index, video_listing
from reelscan_shared.adapters.db.engine import Database
from reelscan_shared.adapters.db.locks import VIDEO_FINISH_LOCK, lock_library
from reelscan_shared.adapters.db.tables import (
    ARTIFACT_COLUMNS,
    artifacts,
    superseded_artifacts,
    task_segments,
    tasks,
    video_paths,
    videos,
)
from reelscan_shared.analyses import ANALYSES
from reelscan_shared.domain.artifacts import ArtifactEnvelope, Provenance
from reelscan_shared.domain.errors import InvalidTransition
from reelscan_shared.domain.events import EventType
from reelscan_shared.domain.segments import Segment
from reelscan_shared.domain.tasks import Event, Priority, Progress, Task, TaskStatus, TaskType
from reelscan_shared.domain.videos import Video, VideoOverview, VideoStatus
from reelscan_shared.ports.repositories import (
    ArtifactPage,
    ArtifactQuery,
    BlockedTasks,
    RerunFilter,
    TaskPage,
    TaskQuery,
    VideoQuery,
)


def _video(row: RowMapping, paths: Sequence[str] = ()) -> Video:
    return Video(
        video_id=row["video_id"], path=row["path"], file_hash=row["file_hash"],
        size_bytes=row["size_bytes"], duration_ms=row["duration_ms"], mtime=row["mtime"],
        discovered_at=row["discovered_at"], status=VideoStatus(row["status"]), missing_since=row["missing_since"],
        paths=tuple(paths),
    )


def _task(row: RowMapping) -> Task:
    return Task(
        task_id=row["task_id"], video_id=row["video_id"], task_type=TaskType(row["task_type"]),
        status=TaskStatus(row["status"]), queue=row["queue"], config=row["config"],
        attempts=row["attempts"], error=row["error"], created_at=row["created_at"],
        started_at=row["started_at"], completed_at=row["completed_at"],
        progress=Progress(done_ms=row["done_ms"], total_ms=row["total_ms"], spent_ms=row["spent_ms"]),
        priority=Priority(row["priority"]), model_profile=row["model_profile"],
    )


def _progress_values(p: Progress) -> dict[str, Any]:
    return {"done_ms": p.done_ms, "total_ms": p.total_ms, "spent_ms": p.spent_ms}


def _provenance(p: Provenance) -> dict[str, str]:
    return {"run_id": p.run_id, "producer": p.producer, "producer_version": p.producer_version,
            "model_profile": p.model_profile, "config_hash": p.config_hash, "input_hash": p.input_hash}


def _segment(row: RowMapping) -> Segment:
    return Segment(seq=row["seq"], start_ms=row["start_ms"], end_ms=row["end_ms"],
                   artifact_type=row["artifact_type"], schema_version=row["schema_version"],
                   provenance=Provenance(**row["provenance"]), duration_ms=row["duration_ms"],
                   elapsed_ms=row["elapsed_ms"], items=row["items"])


def task_row(task: Task) -> dict[str, Any]:
    return {
        "task_id": task.task_id, "video_id": task.video_id, "task_type": task.task_type.value,
        "status": task.status.value, "queue": task.queue, "config": task.config,
        "attempts": task.attempts, "error": task.error, "created_at": task.created_at,
        "started_at": task.started_at, "completed_at": task.completed_at, **_progress_values(task.progress),
        "priority": task.priority.value, "model_profile": task.model_profile,
    }


def _artifact(row: RowMapping) -> ArtifactEnvelope:
    return ArtifactEnvelope(
        artifact_id=row["artifact_id"], video_id=row["video_id"], task_id=row["task_id"],
        artifact_type=row["artifact_type"], schema_version=row["schema_version"],
        span_start_ms=row["span_start_ms"], span_end_ms=row["span_end_ms"], payload=row["payload"],
        provenance=Provenance(
            run_id=row["run_id"], producer=row["producer"], producer_version=row["producer_version"],
            model_profile=row["model_profile"], config_hash=row["config_hash"], input_hash=row["input_hash"],
        ),
        created_at=row["created_at"],
    )


def _artifact_row(a: ArtifactEnvelope) -> dict[str, Any]:
    p = a.provenance
    return {
        "artifact_id": a.artifact_id, "video_id": a.video_id, "task_id": a.task_id,
        "artifact_type": a.artifact_type, "schema_version": a.schema_version,
        "span_start_ms": a.span_start_ms, "span_end_ms": a.span_end_ms, "payload": a.payload,
        "producer": p.producer, "producer_version": p.producer_version, "model_profile": p.model_profile,
        "config_hash": p.config_hash, "input_hash": p.input_hash, "run_id": p.run_id,
        "created_at": a.created_at,
    }


async def apply_locked(conn: AsyncConnection, task_id: str, event: Event, now: datetime,
                        error: str | None = None) -> Task | None:
    """Lock the row, let the domain compute the new state, write it back.

    The domain's ``Task.apply`` is the only place that knows what an event does to
    a task; the row lock makes read-apply-write atomic against concurrent actors.
    """
    row = (await conn.execute(select(tasks).where(tasks.c.task_id == task_id).with_for_update())).mappings().first()
    if row is None:
        return None
    try:
        updated = _task(row).apply(event, now, error)
    except InvalidTransition:
        return None
    await conn.execute(update(tasks).where(tasks.c.task_id == task_id).values(
        status=updated.status.value, attempts=updated.attempts, error=updated.error,
        started_at=updated.started_at, completed_at=updated.completed_at, **_progress_values(updated.progress)))
    if updated.status.is_terminal or event in (Event.RETRY, Event.RERUN):
        # The run is over (its artifacts, if any, are written in this transaction) or starts
        # again: its segments are of no more use.
        await conn.execute(delete(task_segments).where(task_segments.c.task_id == task_id))
    if event in (Event.COMPLETE, Event.FAIL, Event.BLOCK):  # a blocked task is reported as task.failed
        await _emit_finished(conn, updated, now)
    return updated


async def _emit_finished(conn: AsyncConnection, task: Task, now: datetime) -> None:
    """task.completed / task.failed, and video.completed when it was the video's last
    analysis to finish, in the transaction that finished it. Without subscribers this
    is one cheap statement (the pipeline's hot path: every task ends here)."""
    kind = EventType.TASK_COMPLETED if task.status is TaskStatus.COMPLETED else EventType.TASK_FAILED
    path, task_wanted, video_wanted = (await conn.execute(outbox.WANTED, {
        "video_id": task.video_id, "task_event": kind.value, "video_event": EventType.VIDEO_COMPLETED.value,
    })).one()
    if task_wanted:
        await outbox.emit(conn, kind, {"task_id": task.task_id, "video_id": task.video_id, "path": path,
                                       "task_type": task.task_type.value, "status": task.status.value,
                                       "error": task.error, "attempts": task.attempts}, now)
    if not video_wanted:
        return
    # Two tasks of one video finishing at once would each see the other unfinished (and
    # neither say the video is done): this lock orders them, and the second's count sees
    # the first's commit. It is taken only here, after the task row, so no cycle.
    await conn.execute(text("SELECT pg_advisory_xact_lock(:key, hashtext(:video))"),
                       {"key": VIDEO_FINISH_LOCK, "video": task.video_id})
    counts: dict[str, int] = dict((await conn.execute(select(tasks.c.status, func.count()).where(
        tasks.c.video_id == task.video_id).group_by(tasks.c.status))).all())
    if all(TaskStatus(s).is_terminal for s in counts):
        await outbox.emit(conn, EventType.VIDEO_COMPLETED, {"video_id": task.video_id, "path": path,
                                                            "tasks": counts}, now)



class SqlVideoRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, video_id: str) -> Video | None:
        async with self._db.reads.connect() as conn:
            row = (await conn.execute(select(videos).where(videos.c.video_id == video_id))).mappings().first()
            paths = (await conn.execute(select(video_paths.c.path).where(video_paths.c.video_id == video_id)
                                        .order_by(video_paths.c.path))).scalars().all()
        return _video(row, paths) if row else None

    async def list(self, limit: int, offset: int, include_missing: bool = False) -> tuple[list[Video], int]:
        return await self.page(VideoQuery(status=None if include_missing else VideoStatus.PRESENT,
                                          limit=limit, offset=offset))

    async def page(self, q: VideoQuery) -> tuple[builtins.list[Video], int]:
        async with self._db.reads.connect() as conn:
            total = (await conn.execute(video_listing.count_statement(q))).scalar_one()
            rows = (await conn.execute(video_listing.page_statement(q))).mappings().all()
        return [_video(r) for r in rows], total

    async def overviews(self, video_ids: Sequence[str]) -> dict[str, VideoOverview]:
        if not video_ids:
            return {}
        async with self._db.reads.connect() as conn:
            return await video_listing.overviews(conn, video_ids)

    async def add_with_tasks(self, video: Video, new_tasks: Sequence[Task]) -> bool:
        return bool(await self.add_many_with_tasks([(video, new_tasks)]))

    async def add_many_with_tasks(self, entries: Sequence[tuple[Video, Sequence[Task]]]) -> set[str]:
        """One transaction; returns the ids of the videos inserted (a path the library
        knows already is skipped). Discovery goes through SqlLibrary, which also knows
        content; this registers videos as given (tests, tools)."""
        if not entries:
            return set()
        async with self._db.engine.begin() as conn:
            await lock_library(conn)
            taken = set((await conn.execute(select(video_paths.c.path).where(
                video_paths.c.path.in_([v.path for v, _ in entries])))).scalars().all())
            fresh = [(v, ts) for v, ts in entries if v.path not in taken]
            if not fresh:
                return set()
            await conn.execute(insert(videos), [{
                "video_id": v.video_id, "path": v.path, "file_hash": v.file_hash, "size_bytes": v.size_bytes,
                "duration_ms": v.duration_ms, "mtime": v.mtime, "discovered_at": v.discovered_at,
            } for v, _ in fresh])
            await conn.execute(insert(video_paths), [{
                "path": v.path, "video_id": v.video_id, "size_bytes": v.size_bytes, "mtime": v.mtime or 0.0,
                "added_at": v.discovered_at} for v, _ in fresh])
            task_rows = [task_row(t) for _, ts in fresh for t in ts]
            if task_rows:
                await conn.execute(insert(tasks), task_rows)
        return {v.video_id for v, _ in fresh}


class SqlTaskRepository:
    def __init__(self, db: Database, keep_superseded: bool = False) -> None:
        self._db = db
        self._keep_superseded = keep_superseded  # KEEP_SUPERSEDED: a re-run archives what it replaces

    async def add(self, task: Task) -> None:
        """A new task of a video already registered."""
        async with self._db.engine.begin() as conn:
            await conn.execute(insert(tasks), [task_row(task)])

    async def get(self, task_id: str) -> Task | None:
        async with self._db.reads.connect() as conn:
            row = (await conn.execute(select(tasks).where(tasks.c.task_id == task_id))).mappings().first()
        return _task(row) if row else None

    async def get_many(self, task_ids: Sequence[str]) -> list[Task]:
        if not task_ids:
            return []
        stmt = select(tasks).where(tasks.c.task_id.in_(task_ids)).order_by(tasks.c.created_at, tasks.c.task_id)
        async with self._db.engine.connect() as conn:  # the primary: callers just changed these rows
            return [_task(r) for r in (await conn.execute(stmt)).mappings().all()]

    async def query(self, q: TaskQuery) -> TaskPage:
        async with self._db.reads.connect() as conn:
            total = (await conn.execute(task_listing.count_statement(q))).scalar_one() if q.with_total else None
            rows = (await conn.execute(task_listing.page_statement(q))).mappings().all()
        return TaskPage(items=[_task(r) for r in rows[:q.limit]], total=total, more=len(rows) > q.limit)

    async def apply(self, task_id: str, event: Event, now: datetime, error: str | None = None) -> Task | None:
        async with self._db.engine.begin() as conn:
            return await apply_locked(conn, task_id, event, now, error)

    async def start(self, task_id: str, now: datetime) -> tuple[Task, str] | None:
        async with self._db.engine.begin() as conn:
            started = await apply_locked(conn, task_id, Event.START, now)
            if started is None:
                return None
            # The foreign key guarantees the row (a deleted video takes its tasks with it).
            path = (await conn.execute(select(videos.c.path).where(videos.c.video_id == started.video_id))).scalar_one()
        return started, path

    async def complete_with_artifacts(
        self, task_id: str, new_artifacts: Sequence[ArtifactEnvelope], now: datetime, model_profile: str | None = None
    ) -> bool:
        async with self._db.engine.begin() as conn:
            # The row lock taken by the transition is held until commit, so a concurrent
            # cancel either happens before (and we write nothing) or after (and finds COMPLETED).
            completed = await apply_locked(conn, task_id, Event.COMPLETE, now)
            if completed is None:
                return False
            if model_profile is not None:
                await conn.execute(update(tasks).where(tasks.c.task_id == task_id).values(model_profile=model_profile))
            # The previous run's results (a re-run, a new version of the video) are superseded
            # only now: until this commit, readers see them.
            if self._keep_superseded:
                names = [c.name for c in ARTIFACT_COLUMNS]
                await conn.execute(insert(superseded_artifacts).from_select(
                    [*names, "superseded_at"],
                    select(*ARTIFACT_COLUMNS, literal(now).label("superseded_at")).where(
                        artifacts.c.task_id == task_id)))
            await conn.execute(delete(artifacts).where(artifacts.c.task_id == task_id))
            artifact_type = ANALYSES[completed.task_type].artifact_type.value
            if new_artifacts:
                await conn.execute(insert(artifacts), [_artifact_row(a) for a in new_artifacts])
                await text_index.add(conn, task_id, artifact_type)
            # Every path that changes artifacts keeps the merged label spans in step.
            await stored_labels.refresh(conn, completed.video_id, artifact_type)
        return True

    async def segments(self, task_id: str) -> list[Segment]:
        stmt = select(task_segments).where(task_segments.c.task_id == task_id).order_by(task_segments.c.seq)
        async with self._db.engine.connect() as conn:  # the primary: what this run stored, just now included
            return [_segment(r) for r in (await conn.execute(stmt)).mappings().all()]

    async def add_segment(self, task_id: str, segment: Segment, now: datetime) -> Task | None:
        async with self._db.engine.begin() as conn:
            row = (await conn.execute(select(tasks).where(tasks.c.task_id == task_id).with_for_update())
                   ).mappings().first()
            if row is None or row["status"] != TaskStatus.RUNNING.value:
                return None
            task = _task(row)
            await conn.execute(insert(task_segments).values(
                task_id=task_id, seq=segment.seq, start_ms=segment.start_ms, end_ms=segment.end_ms,
                artifact_type=segment.artifact_type, schema_version=segment.schema_version,
                provenance=_provenance(segment.provenance), duration_ms=segment.duration_ms,
                elapsed_ms=segment.elapsed_ms, items=segment.items, created_at=now))
            progress = Progress(done_ms=segment.end_ms, total_ms=segment.duration_ms or task.progress.total_ms,
                                spent_ms=task.progress.spent_ms + segment.elapsed_ms)
            await conn.execute(update(tasks).where(tasks.c.task_id == task_id).values(**_progress_values(progress)))
        return replace(task, progress=progress)

    async def restart_run(self, task_id: str) -> None:
        async with self._db.engine.begin() as conn:
            await conn.execute(delete(task_segments).where(task_segments.c.task_id == task_id))
            await conn.execute(update(tasks).where(tasks.c.task_id == task_id).values(done_ms=0, spent_ms=0))

    async def rerun(self, task_id: str, now: datetime, reason: str, priority: Priority,
                    config: dict[str, Any] | None = None) -> Task | None:
        async with self._db.engine.begin() as conn:
            rerun = await apply_locked(conn, task_id, Event.RERUN, now, error=reason)
            if rerun is None:
                return None
            rerun = replace(rerun, priority=priority, config=config if config is not None else rerun.config)
            await conn.execute(update(tasks).where(tasks.c.task_id == task_id).values(
                priority=priority.value, config=rerun.config))
        return rerun

    async def rerun_where(self, f: RerunFilter, reason: str, priority: Priority) -> list[str]:
        # What Task.apply(RERUN) does to a row, as one statement over many rows (a model
        # upgrade re-runs tens of thousands); test_reprocess checks the two agree.
        conditions: list[ColumnElement[bool]] = [tasks.c.task_type.in_([t.value for t in f.task_types]),
                      tasks.c.status.in_([s.value for s in f.statuses]),
                      tasks.c.video_id.in_(select(videos.c.video_id).where(
                          videos.c.status == VideoStatus.PRESENT.value,
                          *([videos.c.discovered_at < f.discovered_before] if f.discovered_before else [])))]
        if f.model_profile_not is not None:
            conditions.append(or_(*[and_(tasks.c.task_type == t.value,
                                         tasks.c.model_profile.is_distinct_from(profile))
                                    for t, profile in f.model_profile_not.items()]))
        async with self._db.engine.begin() as conn:
            ids = list((await conn.execute(update(tasks).where(*conditions).values(
                status=TaskStatus.PENDING.value, started_at=None, completed_at=None, error=reason,
                done_ms=0, spent_ms=0, priority=priority.value).returning(tasks.c.task_id))).scalars().all())
            if ids:
                await conn.execute(delete(task_segments).where(task_segments.c.task_id.in_(ids)))
        return ids

    async def prioritize_video(self, video_id: str, priority: Priority) -> list[Task]:
        async with self._db.engine.begin() as conn:
            rows = (await conn.execute(update(tasks).where(
                tasks.c.video_id == video_id, tasks.c.status == TaskStatus.PENDING.value
            ).values(priority=priority.value).returning(tasks))).mappings().all()
        return [_task(r) for r in rows]

    async def type_status_counts(self) -> dict[tuple[str, str], int]:
        """Tasks per (task type, status): the numbers behind the ``reelscan_tasks`` gauge."""
        stmt = select(tasks.c.task_type, tasks.c.status, func.count()).group_by(tasks.c.task_type, tasks.c.status)
        async with self._db.reads.connect() as conn:
            return {(task_type, status): n for task_type, status, n in (await conn.execute(stmt)).all()}

    async def blocked(self) -> dict[TaskType, BlockedTasks]:
        """Per analysis, its BLOCKED tasks: how many, and the latest one's error (why)."""
        latest = (select(tasks.c.task_type, tasks.c.error, func.count().over(partition_by=tasks.c.task_type).label("n"),
                         func.row_number().over(partition_by=tasks.c.task_type,
                                                order_by=tasks.c.completed_at.desc()).label("rank"))
                  .where(tasks.c.status == TaskStatus.BLOCKED.value).subquery())
        stmt = select(latest.c.task_type, latest.c.n, latest.c.error).where(latest.c.rank == 1)
        async with self._db.reads.connect() as conn:
            rows = (await conn.execute(stmt)).all()
        return {TaskType(kind): BlockedTasks(n, error) for kind, n, error in rows}

    async def with_status(self, status: TaskStatus, limit: int = 1000) -> list[Task]:
        stmt = select(tasks).where(tasks.c.status == status.value).order_by(tasks.c.created_at).limit(limit)
        async with self._db.reads.connect() as conn:
            rows = (await conn.execute(stmt)).mappings().all()
        return [_task(r) for r in rows]

    async def artifact_count(self, task_id: str, since: datetime | None = None) -> int:
        stmt = select(func.count()).select_from(artifacts).where(artifacts.c.task_id == task_id)
        if since is not None:
            stmt = stmt.where(artifacts.c.created_at >= since)
        async with self._db.reads.connect() as conn:
            return (await conn.execute(stmt)).scalar_one()


class SqlArtifactRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def query(self, q: ArtifactQuery) -> ArtifactPage:
        table = superseded_artifacts if q.superseded else artifacts
        conditions = [table.c.video_id == q.video_id]
        if q.artifact_type is not None:
            conditions.append(table.c.artifact_type == q.artifact_type)
        # Spans that overlap [from_ms, to_ms].
        if q.from_ms is not None:
            conditions.append(table.c.span_end_ms >= q.from_ms)
        if q.to_ms is not None:
            conditions.append(table.c.span_start_ms <= q.to_ms)
        where = and_(*conditions)
        stmt = (select(*[table.c[c.name] for c in ARTIFACT_COLUMNS]).where(where)
                .order_by(table.c.artifact_type, table.c.span_start_ms, table.c.artifact_id)
                .limit(q.limit).offset(q.offset))
        async with self._db.reads.connect() as conn:
            total = (await conn.execute(select(func.count()).select_from(table).where(where))).scalar_one()
            rows = (await conn.execute(stmt)).mappings().all()
        return ArtifactPage(items=[_artifact(r) for r in rows], total=total)
