"""Opaque cursors for keyset pagination of the task list.

A cursor names the last row of a page (its sort value and task id) and the sort it
belongs to; the next page starts right after that row, so page 2,000 costs what page
1 costs, and rows inserted meanwhile neither repeat nor shift the pages.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import UTC, datetime

from reelscan_shared.domain.tasks import Task

CURSOR_SORTS = ("created_at", "started_at")


class InvalidCursor(ValueError):
    pass


def encode(task: Task, sort: str, order: str) -> str:
    value = getattr(task, sort)
    raw = json.dumps([sort, order, value.isoformat() if value else None, task.task_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _utc(value: str) -> datetime:
    """The cursor's time in UTC, as every issued cursor has it. A naive time, or one whose
    offset carries it past year 9999 (OverflowError), was never issued: refused here with
    a 400 rather than failing in the database driver."""
    moment = datetime.fromisoformat(value)
    if moment.utcoffset() is None:
        raise ValueError("cursor time has no UTC offset")
    return moment.astimezone(UTC)


def decode(cursor: str, sort: str, order: str) -> tuple[datetime | None, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        cursor_sort, cursor_order, value, task_id = json.loads(raw)
        position = (_utc(value) if value is not None else None, str(uuid.UUID(task_id)))
    except (binascii.Error, ValueError, TypeError, AttributeError, OverflowError) as exc:
        raise InvalidCursor("cursor is not one this API issued") from exc
    if (cursor_sort, cursor_order) != (sort, order):
        raise InvalidCursor(f"cursor belongs to sort={cursor_sort}&order={cursor_order}; "
                            f"repeat those parameters with it")
    return position
