"""Webhook subscriptions and their deliveries: operator actions, so every endpoint
needs the API token when one is set. A subscription's secret is never returned."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Depends, Query, Response
from fastapi.exceptions import RequestValidationError
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field

from reelscan_api.bootstrap import Container
from reelscan_api.routes.deps import UNAUTHORIZED, container, require_write
from reelscan_api.schemas import ErrorOut
from reelscan_shared.domain.destinations import RefusedDestination, checked_address
from reelscan_shared.domain.errors import NotFound
from reelscan_shared.domain.events import EventType

DNS_CHECK_S = 3.0  # a name that does not answer by then is checked at each delivery only

router = APIRouter(prefix="/webhooks", tags=["webhooks"], dependencies=[Depends(require_write)],
                   responses=UNAUTHORIZED)


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: AnyHttpUrl = Field(description="http or https only")
    secret: str | None = Field(None, min_length=16, max_length=256, pattern=r"^[^\x00]+$",
                               description="Signs this subscription's deliveries; WEBHOOK_SECRET when absent")
    events: list[EventType] | None = Field(None, min_length=1, description="Which events; all when absent")


class WebhookOut(BaseModel):
    webhook_id: str
    url: str
    events: list[str] | None
    source: Literal["env", "api"] = Field(description="env: from WEBHOOK_URLS (change it there); api: POST /webhooks")
    created_at: datetime


class DeliveryOut(BaseModel):
    event_id: str
    event_type: str
    webhook_id: str
    url: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    next_attempt_at: datetime | None
    last_status: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime


@router.post("", response_model=WebhookOut, status_code=201, responses={409: {"model": ErrorOut}})
async def add_webhook(body: WebhookIn, c: Container = Depends(container)) -> WebhookOut:
    if body.secret is None and not c.settings.webhook_secret:
        raise RequestValidationError([{"loc": ["body", "secret"], "type": "missing",
                                       "msg": "required while no WEBHOOK_SECRET is set: receivers verify signatures"}])
    if (kind := await _refused(body.url, c)) is not None:
        raise RequestValidationError([{"loc": ["body", "url"], "type": "value_error",
                                       "msg": f"refused destination ({kind}): webhooks go to public addresses "
                                              "unless WEBHOOK_ALLOW_PRIVATE allows the range"}])
    events = sorted({e.value for e in body.events}) if body.events else None
    hook = await c.outbox.add_webhook(str(body.url), body.secret, events)
    return WebhookOut(webhook_id=hook.webhook_id, url=hook.url, events=hook.event_types, source="api",
                      created_at=hook.created_at)


async def _refused(url: AnyHttpUrl, c: Container) -> str | None:
    """Why the URL's destination is refused now (it is checked again at every delivery)."""
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        async with asyncio.timeout(DNS_CHECK_S):
            await checked_address(url.host or "", port, c.settings.webhook_allowed_ranges)
    except RefusedDestination as exc:
        return exc.kind
    except (OSError, TimeoutError, UnicodeError):
        return None  # does not resolve now: the dispatcher resolves it again when it sends
    return None


@router.get("", response_model=list[WebhookOut])
async def list_webhooks(c: Container = Depends(container)) -> list[WebhookOut]:
    return [WebhookOut(webhook_id=h.webhook_id, url=h.url, events=h.event_types, source=h.source,
                       created_at=h.created_at) for h in await c.outbox.list_webhooks()]


@router.delete("/{webhook_id}", status_code=204, responses={404: {"model": ErrorOut}})
async def delete_webhook(webhook_id: uuid.UUID, c: Container = Depends(container)) -> Response:
    """Unsubscribe (its pending deliveries go with it). WEBHOOK_URLS' are changed there."""
    if not await c.outbox.delete_webhook(str(webhook_id)):
        raise NotFound(f"webhook {webhook_id} not found (or it comes from WEBHOOK_URLS)")
    return Response(status_code=204)


@router.get("/deliveries", response_model=list[DeliveryOut])
async def list_deliveries(status: Literal["pending", "delivered", "failed"] | None = None,
                          limit: int = Query(100, ge=1, le=1000),
                          c: Container = Depends(container)) -> list[DeliveryOut]:
    """Newest first: each delivery's attempts, the receiver's last answer, the last error."""
    rows = await c.outbox.deliveries(status, limit)
    return [DeliveryOut(**{**r, "event_id": str(r["event_id"]), "webhook_id": str(r["webhook_id"]),
                           "next_attempt_at": r["next_attempt_at"] if r["status"] == "pending" else None})
            for r in rows]
