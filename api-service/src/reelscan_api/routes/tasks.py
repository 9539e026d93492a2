"""Task endpoints: HTTP in and out; the actions themselves are in ``task_actions``.
A task whose state does not allow the action answers 409."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query

from reelscan_api import cursor as cursor_codec
from reelscan_api.bootstrap import Container
from reelscan_api.routes.deps import UNAUTHORIZED, container, require_read, require_write
from reelscan_api.schemas import ErrorOut, TaskActionOut, TaskListOut, TaskOut
from reelscan_shared.domain.tasks import TaskStatus, TaskType
from reelscan_shared.ports.repositories import TaskQuery

router = APIRouter(prefix="/tasks", tags=["tasks"])
ERRORS: dict[int | str, dict[str, Any]] = {404: {"model": ErrorOut}, 409: {"model": ErrorOut},
                                           503: {"model": ErrorOut}}
WRITE_ERRORS = {**ERRORS, **UNAUTHORIZED}


@router.get("", response_model=TaskListOut, responses={400: {"model": ErrorOut}}, dependencies=[Depends(require_read)])
async def list_tasks(
    status: TaskStatus | None = None,
    task_type: TaskType | None = None,
    video_id: uuid.UUID | None = None,
    sort: Literal["created_at", "started_at", "running_time"] = "created_at",
    order: Literal["asc", "desc"] = "desc",
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=10**9),
    cursor: str | None = Query(None, max_length=512, description=(
        "Resume after the page that returned this `next_cursor` (same filters, sort and order). "
        "Deep pages cost what the first does; sort=created_at or started_at only.")),
    c: Container = Depends(container),
) -> TaskListOut:
    after = None
    if cursor is not None:
        if offset or sort not in cursor_codec.CURSOR_SORTS:
            raise HTTPException(400, "cursor works with offset=0 and sort=created_at or started_at")
        try:
            after = cursor_codec.decode(cursor, sort, order)
        except cursor_codec.InvalidCursor as exc:
            raise HTTPException(400, str(exc)) from exc
    page = await c.tasks.query(TaskQuery(status=status, task_type=task_type,
                                         video_id=str(video_id) if video_id else None,
                                         sort=sort, order=order, limit=limit, offset=offset, after=after,
                                         with_total=video_id is not None))
    total = page.total if page.total is not None else await c.task_totals.total(status, task_type)
    next_cursor = (cursor_codec.encode(page.items[-1], sort, order)
                   if page.more and sort in cursor_codec.CURSOR_SORTS else None)
    return TaskListOut(items=[TaskOut.of(t) for t in page.items], total=total, limit=limit, offset=offset,
                       next_cursor=next_cursor)


@router.get("/{task_id}", response_model=TaskOut, responses=ERRORS, dependencies=[Depends(require_read)])
async def get_task(task_id: uuid.UUID, c: Container = Depends(container)) -> TaskOut:
    return TaskOut.of(await c.task_actions.get(str(task_id)))


@router.post("/{task_id}/enqueue", response_model=TaskActionOut, responses=WRITE_ERRORS,
             dependencies=[Depends(require_write)])
async def enqueue_task(task_id: uuid.UUID, c: Container = Depends(container)) -> TaskActionOut:
    """Enqueue a PENDING task's job (a no-op if it is already queued)."""
    return TaskActionOut.of(await c.task_actions.enqueue(str(task_id)))


@router.post("/{task_id}/cancel", response_model=TaskActionOut, responses=WRITE_ERRORS,
             dependencies=[Depends(require_write)])
async def cancel_task(task_id: uuid.UUID, c: Container = Depends(container)) -> TaskActionOut:
    """Mark the task CANCELLED and abort its job; 409 if it already finished."""
    return TaskActionOut.of(await c.task_actions.cancel(str(task_id)))


@router.post("/{task_id}/retry", response_model=TaskActionOut, responses=WRITE_ERRORS,
             dependencies=[Depends(require_write)])
async def retry_task(task_id: uuid.UUID, c: Container = Depends(container)) -> TaskActionOut:
    """Send a FAILED or CANCELLED task back to PENDING and enqueue it again."""
    return TaskActionOut.of(await c.task_actions.retry(str(task_id)))
