"""segmented runs: task_segments, and the progress of a run on tasks

Long videos are analysed a segment at a time; each finished segment is stored so a
stopped run resumes where it got to (reelscan_shared/domain/segments.py). The three
progress columns say how far the current run has got (domain.tasks.Progress).

Adding columns with constant defaults and a new table: no rewrite of `tasks`.

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('tasks', sa.Column('done_ms', sa.BigInteger(), server_default='0', nullable=False))
    op.add_column('tasks', sa.Column('total_ms', sa.BigInteger(), nullable=True))
    op.add_column('tasks', sa.Column('spent_ms', sa.BigInteger(), server_default='0', nullable=False))
    op.create_table(
        'task_segments',
        sa.Column('task_id', sa.UUID(as_uuid=False), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('start_ms', sa.BigInteger(), nullable=False),
        sa.Column('end_ms', sa.BigInteger(), nullable=False),
        sa.Column('artifact_type', sa.String(length=32), nullable=False),
        sa.Column('schema_version', sa.Integer(), nullable=False),
        sa.Column('provenance', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('duration_ms', sa.BigInteger(), nullable=True),
        sa.Column('elapsed_ms', sa.BigInteger(), nullable=False),
        sa.Column('items', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('end_ms > start_ms', name=op.f('ck_task_segments_ends_after_start')),
        sa.ForeignKeyConstraint(['task_id'], ['tasks.task_id'], name=op.f('fk_task_segments_task_id_tasks'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('task_id', 'seq', name=op.f('pk_task_segments')),
    )


def downgrade() -> None:
    op.drop_table('task_segments')
    op.drop_column('tasks', 'spent_ms')
    op.drop_column('tasks', 'total_ms')
    op.drop_column('tasks', 'done_ms')
