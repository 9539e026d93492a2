"""task list indexes that match its orderings; status/timestamp constraints

The task list orders by (key, task_id) with NULL keys last and reads each status
group in index order (see reelscan_shared/adapters/db/task_listing.py). The first
indexes lacked the task_id tie-breaker and had none for run time, so PostgreSQL
sorted every matching row: 10-20 ms per page at 100,000 tasks. The per-video index
goes: the unique (video_id, task_type) index already serves ?video_id=.

The two CHECK constraints state what the domain's Task.apply has always written
(pending = never started; pending or running = no end time); the listing relies on it.

Plain (not CONCURRENTLY) so the migration stays one transaction; writes to `tasks`
wait while the indexes build (about a second for 100,000 tasks on a 2-core machine).

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

OLD = {
    'ix_tasks_created_at': ['created_at'],
    'ix_tasks_started_at': ['started_at'],
    'ix_tasks_status_created_at': ['status', 'created_at'],
    'ix_tasks_status_started_at': ['status', 'started_at'],
    'ix_tasks_task_type_created_at': ['task_type', 'created_at'],
    'ix_tasks_video_id_created_at': ['video_id', 'created_at'],
}
RUN_TIME = sa.text('(completed_at - started_at)')
NEW: dict[str, list[str | sa.TextClause]] = {
    'ix_tasks_created_at_task_id': ['created_at', 'task_id'],
    'ix_tasks_started_at_task_id': ['started_at', 'task_id'],
    'ix_tasks_run_time_task_id': [RUN_TIME, 'task_id'],
    'ix_tasks_status_created_at_task_id': ['status', 'created_at', 'task_id'],
    'ix_tasks_status_started_at_task_id': ['status', 'started_at', 'task_id'],
    'ix_tasks_status_run_time_task_id': ['status', RUN_TIME, 'task_id'],
    'ix_tasks_task_type_created_at_task_id': ['task_type', 'created_at', 'task_id'],
}
CHECKS = {
    'pending_iff_never_started': "(status = 'pending') = (started_at IS NULL)",
    'unfinished_iff_no_end': "(status IN ('pending', 'running')) = (completed_at IS NULL)",
}


def upgrade() -> None:
    for name in OLD:
        op.drop_index(name, table_name='tasks')
    for name, columns in NEW.items():
        op.create_index(name, 'tasks', columns, unique=False)
    for name, condition in CHECKS.items():
        op.create_check_constraint(op.f(f'ck_tasks_{name}'), 'tasks', condition)


def downgrade() -> None:
    for name in CHECKS:
        op.drop_constraint(op.f(f'ck_tasks_{name}'), 'tasks', type_='check')
    for name in NEW:
        op.drop_index(name, table_name='tasks')
    for name, columns in OLD.items():
        op.create_index(name, 'tasks', columns, unique=False)
