"""The task list's SQL: one page of tasks, filtered and sorted, that an index can serve.

Every sort is a total order ``(key NULLS LAST, task_id)`` in the asked direction. A
plain ``ORDER BY key DESC NULLS LAST`` over a nullable or computed key makes
PostgreSQL read and sort every matching row (100,000 tasks: 10-20 ms a page, most of
the API's database time under load). But which tasks have which key is known from
their status (the ``ck_tasks_*`` constraints in ``tables.py``: a pending task has
never started, a running one has not finished, a finished one has both times), so
the rows split by status into *segments*, each read in the order of an index:

- created_at: one segment (the column is NOT NULL);
- started_at: every task but the pending ones, by ``started_at``; then the pending
  ones (NULL key) by task id;
- running_time (``coalesce(completed_at, now()) - started_at``): the finished tasks
  by the indexed ``completed_at - started_at``; the running ones by ``started_at``
  (the earlier the start, the longer the run so far); then the pending ones.

With a status filter only that status's segment is read: one index scan. Without
one, each segment reads at most ``offset + limit + 1`` rows and the outer query
merges those few rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, false, func, literal, null, select, true, tuple_, union_all

from reelscan_shared.adapters.db.tables import RUN_TIME_OF_FINISHED, tasks
from reelscan_shared.domain.tasks import TERMINAL_STATUSES, TaskStatus
from reelscan_shared.ports.repositories import TaskQuery

SORT_KEY = "sort_key"
_STARTED = frozenset(TaskStatus) - {TaskStatus.PENDING}


@dataclass(frozen=True)
class _Segment:
    statuses: frozenset[TaskStatus]  # the tasks in it
    rows: ColumnElement[bool]  # the same tasks, said so that an index finds them
    key: ColumnElement[Any] | None  # the sort key's value for them; None: NULL
    index_order: tuple[ColumnElement[Any], ...]  # ascending, in index order, task_id last
    reverse_key: bool = False  # the key falls as index_order rises (running tasks' run time)


# Pending tasks' started_at is NULL, so (started_at, task_id) orders them by task id
# and the (status, started_at, task_id) index serves them.
_PENDING = _Segment(frozenset({TaskStatus.PENDING}), tasks.c.status == TaskStatus.PENDING.value, None,
                    (tasks.c.started_at, tasks.c.task_id))
SEGMENTS: dict[str, list[_Segment]] = {
    "created_at": [_Segment(frozenset(TaskStatus), true(), tasks.c.created_at,
                            (tasks.c.created_at, tasks.c.task_id))],
    "started_at": [_Segment(_STARTED, tasks.c.started_at.is_not(None), tasks.c.started_at,
                            (tasks.c.started_at, tasks.c.task_id)), _PENDING],
    "running_time": [
        _Segment(frozenset(TERMINAL_STATUSES), RUN_TIME_OF_FINISHED.is_not(None), RUN_TIME_OF_FINISHED,
                 (RUN_TIME_OF_FINISHED, tasks.c.task_id)),
        _Segment(frozenset({TaskStatus.RUNNING}), tasks.c.status == TaskStatus.RUNNING.value,
                 func.now() - tasks.c.started_at, (tasks.c.started_at, tasks.c.task_id), reverse_key=True),
        _PENDING,
    ],
}


def filtered(stmt: Select[Any], q: TaskQuery) -> Select[Any]:
    if q.status is not None:
        stmt = stmt.where(tasks.c.status == q.status.value)
    if q.task_type is not None:
        stmt = stmt.where(tasks.c.task_type == q.task_type.value)
    if q.video_id is not None:
        stmt = stmt.where(tasks.c.video_id == q.video_id)
    return stmt


def _segment_order(segment: _Segment, descending: bool) -> list[ColumnElement[Any]]:
    """The segment's index order, turned so that its key runs in the page's direction;
    task_id, last, breaks ties in the page's direction."""
    *leading, task_id = segment.index_order
    flip = descending != segment.reverse_key
    return [*(c.desc() if flip else c.asc() for c in leading), task_id.desc() if descending else task_id.asc()]


def _after(segment: _Segment, position: tuple[datetime | None, str], descending: bool) -> ColumnElement[bool] | None:
    """The segment's rows after ``position``; None when the whole segment lies before it.
    Cursors exist for created_at and started_at only, whose keys are plain columns."""
    value, last_id = position
    beyond_id = tasks.c.task_id < last_id if descending else tasks.c.task_id > last_id
    if segment.key is None:  # the NULL-key segment comes last
        return beyond_id if value is None else true()
    if value is None:  # the position is already among the NULLs
        return None
    row = tuple_(segment.key, tasks.c.task_id)
    at = tuple_(literal(value, segment.key.type), literal(last_id, tasks.c.task_id.type))
    return row < at if descending else row > at


def page_statement(q: TaskQuery) -> Select[Any]:
    """SELECT the page's rows (``limit + 1`` of them, so the caller can tell if more follow)."""
    descending = q.order == "desc"
    parts = []
    for segment in SEGMENTS[q.sort]:
        if q.status is not None and q.status not in segment.statuses:
            continue
        key = segment.key if segment.key is not None else null()
        # `rows` even under a status filter: the planner does not read the CHECK
        # constraints, and without `started_at IS NOT NULL` a backward index scan
        # would wade through the pending tasks' NULLs first.
        part = filtered(select(tasks, key.label(SORT_KEY)), q).where(segment.rows)
        if q.after is not None:
            after = _after(segment, q.after, descending)
            if after is None:
                continue
            part = part.where(after)
        parts.append(part.order_by(*_segment_order(segment, descending)))
    if not parts:  # the cursor was past the last row
        parts.append(filtered(select(tasks, null().label(SORT_KEY)), q).where(false()))
    if len(parts) == 1:
        return parts[0].limit(q.limit + 1).offset(q.offset)
    merged = union_all(*(p.limit(q.offset + q.limit + 1) for p in parts)).subquery()
    key = merged.c[SORT_KEY]
    ordering = ((key.desc().nulls_last(), merged.c.task_id.desc()) if descending
                else (key.asc().nulls_last(), merged.c.task_id.asc()))
    return select(merged).order_by(*ordering).limit(q.limit + 1).offset(q.offset)


def count_statement(q: TaskQuery) -> Select[Any]:
    return filtered(select(func.count()).select_from(tasks), q)
