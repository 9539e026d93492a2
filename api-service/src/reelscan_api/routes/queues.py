"""Queue control for operators: depth by priority, pause and resume."""

from __future__ import annotations

from collections import Counter

from fastapi import APIRouter, Depends

from reelscan_api.bootstrap import Container
from reelscan_api.operation_schemas import QueueOut
from reelscan_api.routes.deps import UNAUTHORIZED, container, require_read, require_write
from reelscan_api.schemas import ErrorOut
from reelscan_shared.analyses import ANALYSES
from reelscan_shared.domain.clock import utcnow
from reelscan_shared.domain.errors import NotFound
from reelscan_shared.domain.queues import QUEUES
from reelscan_shared.domain.tasks import TaskStatus, TaskType

router = APIRouter(prefix="/queues", tags=["queues"])
ERRORS = {404: {"model": ErrorOut}, 503: {"model": ErrorOut}, **UNAUTHORIZED}


async def _running(c: Container) -> Counter[str]:
    running: Counter[str] = Counter()
    for (task_type, status), n in (await c.tasks.type_status_counts()).items():
        if status == TaskStatus.RUNNING.value and task_type in ANALYSES:
            running[ANALYSES[TaskType(task_type)].queue] += n
    return running


async def _describe(c: Container, name: str, running: Counter[str]) -> QueueOut:
    by_priority = await c.queue.depth_by_priority(name)
    return QueueOut(name=name, depth=sum(by_priority.values()), depth_by_priority=by_priority,
                    running=running[name], paused=await c.queue.paused(name), workers=await c.queue.workers(name),
                    checked_at=utcnow())


def _known(name: str) -> str:
    if name not in QUEUES:
        raise NotFound(f"queue {name!r} not found; the queues are {list(QUEUES)}")
    return name


@router.get("", response_model=list[QueueOut], responses={503: {"model": ErrorOut}},
            dependencies=[Depends(require_read)])
async def list_queues(c: Container = Depends(container)) -> list[QueueOut]:
    running = await _running(c)
    return [await _describe(c, q, running) for q in QUEUES]


@router.post("/{name}/pause", response_model=QueueOut, responses=ERRORS, dependencies=[Depends(require_write)])
async def pause_queue(name: str, c: Container = Depends(container)) -> QueueOut:
    """Workers finish the jobs they run and take no new ones from this queue; the
    reconciler leaves its waiting tasks alone. Jobs keep their order."""
    await c.queue.set_paused(_known(name), True)
    return await _describe(c, name, await _running(c))


@router.post("/{name}/resume", response_model=QueueOut, responses=ERRORS, dependencies=[Depends(require_write)])
async def resume_queue(name: str, c: Container = Depends(container)) -> QueueOut:
    await c.queue.set_paused(_known(name), False)
    return await _describe(c, name, await _running(c))
