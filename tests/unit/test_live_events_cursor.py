"""The cursor a GET /events stream resumes from (its events' ids, Last-Event-ID)."""

from __future__ import annotations

import uuid

import pytest

from reelscan_api.live_events import TASK, VIDEO, Change, Cursor


def test_an_event_id_decodes_to_its_cursor() -> None:
    row = str(uuid.uuid4())
    for cursor in (Cursor(0), Cursor(123_456_789_012), Cursor(7, VIDEO, row), Cursor(7, TASK, row)):
        assert Cursor.decode(cursor.encode()) == cursor


@pytest.mark.parametrize("value", ["", "x", "12", "-1.-1.", "5.2." + str(uuid.uuid4()), "5.1.not-a-uuid",
                                   "5.-1.trailing", "5.0.'; DROP TABLE tasks; --"])
def test_anything_else_is_no_cursor(value: str) -> None:
    assert Cursor.decode(value) is None


def test_cursors_order_by_transaction_then_videos_before_tasks_then_row() -> None:
    a, b = sorted(str(uuid.uuid4()) for _ in range(2))
    assert Cursor(5) < Cursor(5, VIDEO, a) < Cursor(5, VIDEO, b) < Cursor(5, TASK, a) < Cursor(6)


def test_a_change_is_one_server_sent_event() -> None:
    row = str(uuid.uuid4())
    change = Change(Cursor(9, VIDEO, row), "video", {"video_id": row, "status": "present"})
    assert change.sse() == f'id: 9.0.{row}\nevent: video\ndata: {{"video_id": "{row}", "status": "present"}}\n\n'
