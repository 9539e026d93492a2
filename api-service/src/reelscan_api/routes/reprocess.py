"""Re-processing: one video, one analysis, or every outdated result in the library."""

from __future__ import annotations

import uuid

import httpx
from fastapi import APIRouter, Body, Depends

from reelscan_api.bootstrap import Container
from reelscan_api.operation_schemas import (
    CreateTaskIn,
    PrioritizeOut,
    ReprocessLibraryIn,
    ReprocessLibraryOut,
    ReprocessVideoIn,
    RerunOut,
)
from reelscan_api.routes.deps import UNAUTHORIZED, container, require_write
from reelscan_api.schemas import ErrorOut, TaskOut
from reelscan_shared.domain.errors import QueueUnavailable
from reelscan_shared.domain.tasks import Priority, TaskStatus, TaskType
from reelscan_shared.ports.repositories import RerunFilter

router = APIRouter(tags=["reprocessing"])
ERRORS = {404: {"model": ErrorOut}, 409: {"model": ErrorOut}, 503: {"model": ErrorOut}, **UNAUTHORIZED}


@router.post("/videos/{video_id}/reprocess", response_model=RerunOut, responses=ERRORS,
             dependencies=[Depends(require_write)])
async def reprocess_video(video_id: uuid.UUID, body: ReprocessVideoIn = Body(default_factory=ReprocessVideoIn),
                          c: Container = Depends(container)) -> RerunOut:
    """Run the video's analyses (all, or `analyses`) again, with `config` changes on top of
    each task's config. The current results stay readable until the new ones replace them."""
    rerun = await c.reprocessing.video(str(video_id), frozenset(body.analyses) if body.analyses else None,
                                       body.config, body.priority)
    return RerunOut(tasks=[TaskOut.of(t) for t in rerun.tasks], enqueued=rerun.enqueued)


@router.post("/videos/{video_id}/prioritize", response_model=PrioritizeOut, responses=ERRORS,
             dependencies=[Depends(require_write)])
async def prioritize_video(video_id: uuid.UUID, priority: Priority = Body(Priority.HIGH, embed=True),
                           c: Container = Depends(container)) -> PrioritizeOut:
    """This video first: its waiting tasks' jobs move ahead of every normal and low one."""
    changed, moved = await c.reprocessing.prioritize(str(video_id), priority)
    return PrioritizeOut(tasks=[TaskOut.of(t) for t in changed], moved=moved)


@router.post("/tasks", response_model=RerunOut, status_code=201, responses=ERRORS,
             dependencies=[Depends(require_write)])
async def create_task(body: CreateTaskIn, c: Container = Depends(container)) -> RerunOut:
    """One analysis of a video with this config: its finished task of that analysis runs
    again with it (409 while that task is pending or running)."""
    rerun = await c.reprocessing.task(str(body.video_id), body.task_type, body.config, body.priority)
    return RerunOut(tasks=[TaskOut.of(t) for t in rerun.tasks], enqueued=rerun.enqueued)


async def _current_profiles(c: Container, analyses: list[TaskType]) -> dict[TaskType, str]:
    """The model each analysis runs now, as the ML service reports it."""
    try:
        resp = await c.ml_http.get("/health")
        resp.raise_for_status()
        models = resp.json()["models"]
        # Analyses without a model there (scene detection) cannot be outdated by one.
        return {t: models[t.value]["model_profile"] for t in analyses if t.value in models}
    except (httpx.HTTPError, KeyError, ValueError) as exc:
        raise QueueUnavailable(f"the ML service did not say which models it runs: {exc}") from exc


@router.post("/reprocess", response_model=ReprocessLibraryOut, status_code=202, responses=ERRORS,
             dependencies=[Depends(require_write)])
async def reprocess_library(body: ReprocessLibraryIn, c: Container = Depends(container)) -> ReprocessLibraryOut:
    """Run again, in the background and at low priority by default, every task of present
    videos that the filter selects: e.g. after a model upgrade, `{"analyses":
    ["face_detection"], "model_profile_not": "current"}` (the model the ML service
    reports at /health: load it first, e.g. with ML_PRELOAD, as an untrained fallback
    reports another name once loaded). With `model_profile_not`, only the analyses it
    names (or the ML service runs a model for) are considered."""
    profiles = body.model_profile_not
    if profiles == "current":
        profiles = await _current_profiles(c, body.analyses)
    analyses = frozenset(body.analyses)
    if profiles is not None:  # only the analyses whose current model is known
        profiles = {t: p for t, p in profiles.items() if t in analyses}
        analyses = frozenset(profiles)
    if not analyses:
        return ReprocessLibraryOut(tasks=0, priority=body.priority)
    f = RerunFilter(task_types=analyses, statuses=frozenset(TaskStatus(s) for s in body.statuses),
                    model_profile_not=profiles, discovered_before=body.discovered_before)
    return ReprocessLibraryOut(tasks=await c.reprocessing.library(f, body.priority), priority=body.priority)
