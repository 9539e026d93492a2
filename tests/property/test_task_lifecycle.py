"""Any sequence of lifecycle events keeps the task invariants."""

from datetime import timedelta

from factories import task
from hypothesis import given, settings
from hypothesis import strategies as st

from reelscan_shared.domain.clock import utcnow
from reelscan_shared.domain.errors import InvalidTransition
from reelscan_shared.domain.tasks import TERMINAL_STATUSES, TRANSITIONS, Event, Task, TaskStatus

events = st.lists(st.sampled_from(list(Event)), max_size=40)


def check_invariants(before: Task, after: Task, event: Event) -> None:
    assert after.attempts >= before.attempts
    if after.started_at is not None:
        assert after.created_at <= after.started_at
    if after.completed_at is not None:
        assert after.started_at is not None and after.started_at <= after.completed_at
    if after.status is TaskStatus.PENDING:
        assert after.started_at is None and after.completed_at is None
    if after.status is TaskStatus.RUNNING:
        assert after.started_at is not None and after.completed_at is None
    if after.status in TERMINAL_STATUSES:
        assert after.completed_at is not None
    if before.status in TERMINAL_STATUSES and after.status != before.status:
        assert event in (Event.RETRY, Event.RERUN), "terminal states are only left by retry or rerun"
    if after.status is TaskStatus.COMPLETED:
        assert after.error is None


@settings(max_examples=300)
@given(events)
def test_any_event_sequence_keeps_invariants(sequence: list[Event]) -> None:
    t = task()
    clock = t.created_at
    for event in sequence:
        clock += timedelta(milliseconds=1)
        try:
            after = t.apply(event, clock, error="e" if event in (Event.FAIL, Event.REQUEUE) else None)
        except InvalidTransition:
            assert t.status not in TRANSITIONS[event][0]
            continue
        check_invariants(t, after, event)
        assert after.status is TRANSITIONS[event][1]
        t = after


@given(st.sampled_from(list(TaskStatus)), st.sampled_from(list(Event)))
def test_transition_table_is_the_only_authority(status: TaskStatus, event: Event) -> None:
    t = task(status=status, started_at=utcnow() if status is not TaskStatus.PENDING else None)
    allowed = status in TRANSITIONS[event][0]
    try:
        t.apply(event, utcnow())
    except InvalidTransition:
        assert not allowed
    else:
        assert allowed
