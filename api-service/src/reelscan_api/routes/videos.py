from __future__ import annotations

import uuid
from dataclasses import asdict
from typing import Literal

from fastapi import APIRouter, Depends, Query

from reelscan_api.bootstrap import Container
from reelscan_api.routes.deps import UNAUTHORIZED, container, require_read, require_write
from reelscan_api.schemas import DiscoveredVideo, DiscoveryOut, ErrorOut, VideoListOut, VideoOut
from reelscan_shared.domain.errors import NotFound
from reelscan_shared.domain.tasks import TaskStatus
from reelscan_shared.domain.videos import VideoSort, VideoStatus
from reelscan_shared.ports.repositories import TaskQuery, VideoQuery

router = APIRouter(prefix="/videos", tags=["videos"])


@router.get("", response_model=VideoListOut, dependencies=[Depends(require_read)])
async def list_videos(
    limit: int = Query(50, ge=1, le=500), offset: int = Query(0, ge=0, le=10**9),
    status: Literal["present", "missing", "all"] | None = Query(
        None, description="present (the default), missing (every file gone) or all; wins over include_missing"),
    include_missing: bool = Query(False, description="Also videos whose files are all gone (status=all)"),
    sort: VideoSort = Query(VideoSort.NEWEST, description="newest discovered first (the default), name (file "
                                                          "name A-Z, case folded) or duration (shortest first)"),
    label: str | None = Query(None, min_length=1, max_length=200,
                              description="Only videos where an analysis found this label (an object, `face`, "
                                          "a place), as /labels lists them"),
    c: Container = Depends(container),
) -> VideoListOut:
    """The library, a page at a time, each video with its tasks' progress and what was found."""
    chosen = status or ("all" if include_missing else "present")
    q = VideoQuery(status=None if chosen == "all" else VideoStatus(chosen), sort=sort, label=label,
                   limit=limit, offset=offset)
    items, total = await c.videos.page(q)
    overviews = await c.videos.overviews([v.video_id for v in items])
    return VideoListOut(items=[VideoOut.of(v, overview=overviews.get(v.video_id)) for v in items],
                        total=total, limit=limit, offset=offset)


@router.get("/{video_id}", response_model=VideoOut, responses={404: {"model": ErrorOut}},
            dependencies=[Depends(require_read)])
async def get_video(video_id: uuid.UUID, c: Container = Depends(container)) -> VideoOut:
    video = await c.videos.get(str(video_id))
    if video is None:
        raise NotFound(f"video {video_id} not found")
    tasks = await c.tasks.query(TaskQuery(video_id=video.video_id, limit=100, with_total=False))
    counts = dict.fromkeys(TaskStatus, 0)
    for t in tasks.items:
        counts[t.status] += 1
    overview = (await c.videos.overviews([video.video_id])).get(video.video_id)
    return VideoOut.of(video, counts, tasks.items, overview)


@router.post("/discover", response_model=DiscoveryOut, responses=UNAUTHORIZED,
             dependencies=[Depends(require_write)])
async def discover(c: Container = Depends(container)) -> DiscoveryOut:
    """Scan VIDEO_PATHS now; returns what was found and what was created."""
    report = await c.discovery.scan()
    return DiscoveryOut(**{**asdict(report), **{k: [DiscoveredVideo(**v) for v in getattr(report, k)]
                                                for k in ("created", "attached", "new_versions")}})
