"""Searching the library: text (transcripts, on-screen text), labels per video, label facets."""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import json
import uuid
from typing import Literal, TypeVar

from fastapi import APIRouter, Depends, Query
from fastapi.exceptions import RequestValidationError

from reelscan_api.bootstrap import Container
from reelscan_api.routes.deps import container, require_read
from reelscan_api.search_schemas import (
    LabelCountOut,
    LabelSearchOut,
    LabelsOut,
    TextHitOut,
    TextSearchOut,
    VideoAppearancesOut,
)
from reelscan_shared.domain.search import (
    MAX_QUERY_CHARS,
    InvalidQuery,
    LabelKind,
    LabelSearch,
    TextKind,
    TextSearch,
    parse_text_query,
)

router = APIRouter(tags=["search"], dependencies=[Depends(require_read)])

E = TypeVar("E", bound=enum.StrEnum)


def _invalid(field: str, message: str, value: object) -> RequestValidationError:
    # Same shape as FastAPI's own 422s, so clients parse one error format.
    return RequestValidationError([{"type": "value_error", "loc": ["query", field], "msg": message, "input": value}])


def _kinds(field: str, value: str, enum_type: type[E]) -> frozenset[E]:
    names = [n.strip() for n in value.split(",") if n.strip()]
    unknown = [n for n in names if n not in enum_type.__members__.values()]
    if unknown or not names:
        allowed = ", ".join(enum_type.__members__.values())
        raise _invalid(field, f"unknown {field} {', '.join(unknown) or '(none given)'}; use {allowed}", value)
    return frozenset(enum_type(n) for n in names)


def _fingerprint(q: str, kinds: frozenset[TextKind], video_id: uuid.UUID | None) -> str:
    return hashlib.sha256(json.dumps([q, sorted(kinds), str(video_id)]).encode()).hexdigest()[:16]


def _encode_cursor(fingerprint: str, score: float, artifact_id: str) -> str:
    raw = json.dumps([fingerprint, score, artifact_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, fingerprint: str) -> tuple[float, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        cursor_fingerprint, score, artifact_id = json.loads(raw)
        position = (float(score), str(uuid.UUID(artifact_id)))
    except (binascii.Error, ValueError, TypeError, AttributeError) as exc:
        raise _invalid("cursor", "cursor is not one this API issued", cursor) from exc
    if cursor_fingerprint != fingerprint:
        raise _invalid("cursor", "cursor belongs to another search; repeat its q, types and video_id with it", cursor)
    return position


@router.get("/search", response_model=TextSearchOut)
async def search_text(
    q: str = Query(..., max_length=MAX_QUERY_CHARS, description='Words (all must match, stemmed), "a phrase", '
                                                              "or, -excluded, prefix*"),
    types: str = Query("transcript,ocr", description="Comma-separated: transcript, ocr"),
    video_id: uuid.UUID | None = None,
    limit: int = Query(20, ge=1, le=100),
    cursor: str | None = Query(None, max_length=500),
    c: Container = Depends(container),
) -> TextSearchOut:
    """Transcripts and on-screen text across the library, best match first."""
    kinds = _kinds("types", types, TextKind)
    try:
        parsed = parse_text_query(q)
    except InvalidQuery as exc:
        raise _invalid("q", str(exc), q) from exc
    fingerprint = _fingerprint(q, kinds, video_id)
    after = _decode_cursor(cursor, fingerprint) if cursor else None
    hits = await c.search.text(TextSearch(query=parsed, kinds=kinds, video_id=str(video_id) if video_id else None,
                                          limit=limit + 1, after=after))
    more = len(hits) > limit
    hits = hits[:limit]
    next_cursor = _encode_cursor(fingerprint, hits[-1].score, hits[-1].artifact_id) if more else None
    return TextSearchOut(items=[TextHitOut.of(h) for h in hits], next_cursor=next_cursor)


@router.get("/search/{kind}", response_model=LabelSearchOut)
async def search_label(
    kind: LabelKind,
    label: str | None = Query(None, min_length=1, max_length=200, pattern=r"^[^\x00]+$",
                              description="e.g. dog (objects), beach (places); faces need none"),
    min_confidence: float = Query(0.0, ge=0, le=1),
    video_id: uuid.UUID | None = None,
    sort: Literal["on_screen", "confidence"] = "on_screen",
    limit: int = Query(20, ge=1, le=100),
    offset: int = Query(0, ge=0, le=10**6),
    c: Container = Depends(container),
) -> LabelSearchOut:
    """Which videos show it: per video (and label), its spans and total time on screen."""
    if label is None and kind is not LabelKind.FACES:
        raise _invalid("label", f"label is required for {kind}", None)
    items, total = await c.search.appearances(LabelSearch(
        kind=kind, label=label, min_confidence=min_confidence, video_id=str(video_id) if video_id else None,
        sort=sort, limit=limit, offset=offset))
    return LabelSearchOut(items=[VideoAppearancesOut.of(a) for a in items], total=total, limit=limit, offset=offset)


@router.get("/labels", response_model=LabelsOut)
async def list_labels(
    kinds: str = Query("objects,faces,places", description="Comma-separated: objects, faces, places"),
    video_id: uuid.UUID | None = None,
    limit: int = Query(100, ge=1, le=1000),
    c: Container = Depends(container),
) -> LabelsOut:
    """The labels found (facets), most frequent first, for one video or the library."""
    counts = await c.search.labels(_kinds("kinds", kinds, LabelKind), str(video_id) if video_id else None, limit)
    return LabelsOut(items=[LabelCountOut.of(x) for x in counts])
