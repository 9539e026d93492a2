"""One video as people use it: its summary, its transcript as subtitles, its frames, the file."""

from __future__ import annotations

import asyncio
import os
import uuid
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse

from reelscan_api.bootstrap import Container
from reelscan_api.frames import MAX_WIDTH, MomentOutOfRange, VideoTooLarge
from reelscan_api.playback import media_type
from reelscan_api.routes.deps import container, require_read
from reelscan_api.schemas import ErrorOut, VideoOut
from reelscan_api.search_schemas import LabelTimeOut, SummaryOut, TextReadOut, frame_url
from reelscan_api.subtitles import FORMATS, Cue, render
from reelscan_shared.domain.artifacts import ArtifactType
from reelscan_shared.domain.errors import NotFound
from reelscan_shared.domain.search import LabelKind, LabelSearch
from reelscan_shared.domain.tasks import TaskStatus, TaskType
from reelscan_shared.domain.videos import Video, VideoStatus
from reelscan_shared.files import confine
from reelscan_shared.ports.repositories import ArtifactQuery, TaskQuery

router = APIRouter(prefix="/videos", tags=["videos"], dependencies=[Depends(require_read)])
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorOut}}
SUMMARY_LABELS = 10
PAGE = 500


async def _video(c: Container, video_id: uuid.UUID) -> Video:
    video = await c.videos.get(str(video_id))
    if video is None:
        raise NotFound(f"video {video_id} not found")
    return video


@router.get("/{video_id}/summary", response_model=SummaryOut, responses=NOT_FOUND)
async def summary(video_id: uuid.UUID, c: Container = Depends(container)) -> SummaryOut:
    """What is in the video, at a glance, from the analyses completed so far."""
    video = await _video(c, video_id)
    tasks = (await c.tasks.query(TaskQuery(video_id=video.video_id, limit=100, with_total=False))).items
    shown = VideoOut.of(video, tasks=tasks)

    async def by_time(kind: LabelKind) -> list[LabelTimeOut]:
        found, _ = await c.search.appearances(LabelSearch(kind=kind, label=None, video_id=video.video_id,
                                                          limit=SUMMARY_LABELS, spans_per_video=1))
        return [LabelTimeOut(label=a.label, on_screen_ms=a.on_screen_ms, span_count=a.span_count,
                             first_ms=a.spans[0].start_ms, frame_url=frame_url(video.video_id, a.spans[0].start_ms))
                for a in found]

    faces = await by_time(LabelKind.FACES)
    digest = await c.search.digest(video.video_id, texts=20)
    scenes_done = any(t.task_type is TaskType.SCENE_DETECTION and t.status is TaskStatus.COMPLETED for t in tasks)
    return SummaryOut(
        video_id=video.video_id, path=video.path, duration_ms=video.duration_ms, percent=shown.percent,
        eta_s=shown.eta_s, objects=await by_time(LabelKind.OBJECTS), places=await by_time(LabelKind.PLACES),
        faces_on_screen_ms=sum(f.on_screen_ms for f in faces),
        text_read=[TextReadOut(text=t.text, start_ms=t.first_ms, end_ms=t.last_ms, sightings=t.sightings,
                               frame_url=frame_url(video.video_id, t.first_ms)) for t in digest.text_read],
        scene_count=digest.scene_count if scenes_done else None, transcript_excerpt=digest.transcript_excerpt)


@router.get("/{video_id}/transcript.{fmt}", responses={**NOT_FOUND, 200: {
    "content": {media: {"schema": {"type": "string"}} for media in FORMATS.values()},
    "description": "The transcript: one cue per sentence"}}, response_class=Response)
async def transcript(video_id: uuid.UUID, fmt: Literal["srt", "vtt", "txt"],
                     c: Container = Depends(container)) -> Response:
    """The transcript as SubRip, WebVTT or plain text, once transcription has completed."""
    video = await _video(c, video_id)
    tasks = (await c.tasks.query(TaskQuery(video_id=video.video_id, task_type=TaskType.TRANSCRIPTION,
                                           limit=1, with_total=False))).items
    if not tasks or tasks[0].status is not TaskStatus.COMPLETED:
        state = tasks[0].status.value if tasks else "not scheduled"
        raise NotFound(f"video {video_id} has no transcript yet (transcription is {state})")
    cues: list[Cue] = []
    while True:
        page = await c.artifacts.query(ArtifactQuery(video_id=video.video_id, limit=PAGE, offset=len(cues),
                                                     artifact_type=ArtifactType.TRANSCRIPT_SEGMENT))
        cues += [Cue(a.span_start_ms, a.span_end_ms, str(a.payload["text"])) for a in page.items]
        if len(page.items) < PAGE:
            break
    headers = {"Content-Disposition": f'inline; filename="{video.video_id}.{fmt}"'}
    return Response(render(cues, fmt), media_type=FORMATS[fmt], headers=headers)


@router.get("/{video_id}/frame", responses={**NOT_FOUND, 200: {
    "content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}},
    "description": "The frame on screen at t_ms"}}, response_class=Response)
async def frame(video_id: uuid.UUID, t_ms: int = Query(..., ge=0, le=2**53),
                width: int | None = Query(None, ge=16, le=MAX_WIDTH, description="Scaled to this width; the "
                                          f"video's own (at most {MAX_WIDTH}) when left out"),
                c: Container = Depends(container)) -> Response:
    """A JPEG of the moment ``t_ms`` (what search hits link to)."""
    video = await _video(c, video_id)
    if video.duration_ms is not None and t_ms > video.duration_ms:
        raise _past_end(t_ms, video.duration_ms)
    try:
        data = await c.frames.jpeg(video.path, t_ms, width)
    except MomentOutOfRange as exc:
        raise _past_end(t_ms, video.duration_ms) from exc
    except VideoTooLarge as exc:
        raise RequestValidationError([{"type": "value_error", "loc": ["path", "video_id"], "msg": str(exc),
                                       "input": str(video_id)}]) from exc
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"})


@router.get("/{video_id}/media", responses={
    **NOT_FOUND, 403: {"model": ErrorOut, "description": "The video's path is outside VIDEO_PATHS"},
    416: {"description": "The Range asked for lies past the file's end (`Content-Range: bytes */size`)"},
    200: {"content": {t: {"schema": {"type": "string", "format": "binary"}}
                      for t in ("video/mp4", "video/webm", "video/quicktime", "video/x-matroska")},
          "description": "The whole file (`Accept-Ranges: bytes`)"},
    206: {"description": "The byte range asked for in `Range` (`Content-Range: bytes start-end/size`)"}},
    response_class=FileResponse)
async def media(video_id: uuid.UUID, c: Container = Depends(container)) -> FileResponse:
    """The video file itself, for a player: HTTP Range requests (one range or several)
    answer 206 so a browser can seek; only files inside VIDEO_PATHS are served."""
    video = await _video(c, video_id)
    path = confine(video.path, c.settings.video_roots)
    if video.status is VideoStatus.MISSING:
        raise NotFound(f"the file of video {video_id} is missing: {video.path} is no longer in the library")
    try:
        st = await asyncio.to_thread(os.stat, path)
    except FileNotFoundError as exc:
        raise NotFound(f"the file of video {video_id} is missing: {video.path} is no longer in the library") from exc
    except OSError as exc:
        raise NotFound(f"the file of video {video_id} cannot be read: {exc.strerror}") from exc
    return FileResponse(path, stat_result=st, media_type=media_type(path), content_disposition_type="inline",
                        filename=os.path.basename(video.path), headers={"Cache-Control": "private, max-age=3600"})


def _past_end(t_ms: int, duration_ms: int | None) -> RequestValidationError:
    length = f" ({duration_ms} ms long)" if duration_ms is not None else ""
    return RequestValidationError([{"type": "value_error", "loc": ["query", "t_ms"],
                                    "msg": f"t_ms is past the video's end{length}", "input": t_ms}])
