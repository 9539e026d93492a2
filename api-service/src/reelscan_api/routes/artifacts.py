from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Query
from fastapi.exceptions import RequestValidationError

from reelscan_api.bootstrap import Container
from reelscan_api.routes.deps import container, require_read
from reelscan_api.schemas import ArtifactListOut, ArtifactOut, ErrorOut
from reelscan_shared.domain.artifacts import ArtifactType
from reelscan_shared.domain.errors import NotFound
from reelscan_shared.ports.repositories import ArtifactQuery

router = APIRouter(tags=["artifacts"])

MAX_MS = 2**53  # well past any video; keeps values inside PostgreSQL's bigint


@router.get("/videos/{video_id}/artifacts", response_model=ArtifactListOut,
            responses={404: {"model": ErrorOut}}, dependencies=[Depends(require_read)])
async def list_artifacts(
    video_id: uuid.UUID,
    artifact_type: ArtifactType | None = None,
    from_ms: int | None = Query(None, ge=0, le=MAX_MS, description="Spans ending at or after this time"),
    to_ms: int | None = Query(None, ge=0, le=MAX_MS, description="Spans starting at or before this time"),
    limit: int = Query(100, ge=1, le=500),
    offset: int = Query(0, ge=0, le=10**9),
    superseded: bool = Query(False, description="The results re-runs replaced (kept with KEEP_SUPERSEDED=true) "
                                                "instead of the current ones"),
    c: Container = Depends(container),
) -> ArtifactListOut:
    if from_ms is not None and to_ms is not None and to_ms < from_ms:
        # Same shape as FastAPI's own 422s, so clients parse one error format.
        raise RequestValidationError([{"type": "value_error", "loc": ["query", "to_ms"],
                                       "msg": "to_ms must not be before from_ms", "input": to_ms}])
    if await c.videos.get(str(video_id)) is None:
        raise NotFound(f"video {video_id} not found")
    page = await c.artifacts.query(ArtifactQuery(video_id=str(video_id), artifact_type=artifact_type,
                                                 from_ms=from_ms, to_ms=to_ms, limit=limit, offset=offset,
                                                 superseded=superseded))
    return ArtifactListOut(items=[ArtifactOut.of(a) for a in page.items], total=page.total, limit=limit, offset=offset)
