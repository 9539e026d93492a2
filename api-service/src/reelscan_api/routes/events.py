"""``GET /events``: live updates as server-sent events (live_events.py)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import StreamingResponse

from reelscan_api.bootstrap import Container
from reelscan_api.live_events import Changes, Cursor, stream
from reelscan_api.routes.deps import UNAUTHORIZED, container, require_read

router = APIRouter(tags=["events"])

STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


@router.get(
    "/events",
    summary="Live updates (server-sent events)",
    response_class=StreamingResponse,
    dependencies=[Depends(require_read)],
    responses={200: {"content": {"text/event-stream": {}},
                     "description": "A stream of `task` and `video` events (each `data` is JSON)"},
               **UNAUTHORIZED},
)
async def events(
    request: Request,
    c: Container = Depends(container),
    last_event_id: str | None = Header(None, description="Resume right after this event (EventSource sends it "
                                                           "when it reconnects); without it, changes from now on"),
) -> StreamingResponse:
    """Live updates as server-sent events, so pages need not poll. Event `task`
    (`task_id`, `video_id`, `task_type`, `status`, `progress`, `error`) when a task is
    created, changes state or makes progress; event `video` (`video_id`, `status`) when a
    video is found or changes. Each event's `id` resumes the stream after it
    (`Last-Event-ID`); a row changed several times in between comes once, as it is now.
    A `: keep-alive` comment every EVENTS_KEEPALIVE_SECONDS when nothing happens."""
    cursor = Cursor.decode(last_event_id) if last_event_id else None
    body = stream(Changes(c.db), cursor, request.app.state.stopping.event, c.settings.events_poll_s,
                  c.settings.events_keepalive_s)
    return StreamingResponse(body, media_type="text/event-stream", headers=STREAM_HEADERS)
