"""initial schema: videos, tasks, artifacts

Revision ID: 0001
Revises:
Create Date: 2026-11-22 11:00:43.291768
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('videos',
    sa.Column('video_id', sa.UUID(as_uuid=False), nullable=False),
    sa.Column('path', sa.Text(), nullable=False),
    sa.Column('file_hash', sa.String(length=64), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('duration_ms', sa.BigInteger(), nullable=True),
    sa.Column('mtime', sa.Float(), nullable=True),
    sa.Column('discovered_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('video_id', name=op.f('pk_videos')),
    sa.UniqueConstraint('path', name=op.f('uq_videos_path'))
    )
    op.create_index('ix_videos_discovered_at', 'videos', ['discovered_at'], unique=False)
    op.create_table('tasks',
    sa.Column('task_id', sa.UUID(as_uuid=False), nullable=False),
    sa.Column('video_id', sa.UUID(as_uuid=False), nullable=False),
    sa.Column('task_type', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('queue', sa.String(length=32), nullable=False),
    sa.Column('config', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['video_id'], ['videos.video_id'], name=op.f('fk_tasks_video_id_videos'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('task_id', name=op.f('pk_tasks')),
    sa.UniqueConstraint('video_id', 'task_type', name=op.f('uq_tasks_video_id_task_type'))
    )
    op.create_index('ix_tasks_created_at', 'tasks', ['created_at'], unique=False)
    op.create_index('ix_tasks_started_at', 'tasks', ['started_at'], unique=False)
    op.create_index('ix_tasks_status_created_at', 'tasks', ['status', 'created_at'], unique=False)
    op.create_index('ix_tasks_status_started_at', 'tasks', ['status', 'started_at'], unique=False)
    op.create_index('ix_tasks_task_type_created_at', 'tasks', ['task_type', 'created_at'], unique=False)
    op.create_index('ix_tasks_video_id_created_at', 'tasks', ['video_id', 'created_at'], unique=False)
    op.create_table('artifacts',
    sa.Column('artifact_id', sa.UUID(as_uuid=False), nullable=False),
    sa.Column('video_id', sa.UUID(as_uuid=False), nullable=False),
    sa.Column('task_id', sa.UUID(as_uuid=False), nullable=False),
    sa.Column('artifact_type', sa.String(length=32), nullable=False),
    sa.Column('schema_version', sa.Integer(), nullable=False),
    sa.Column('span_start_ms', sa.BigInteger(), nullable=False),
    sa.Column('span_end_ms', sa.BigInteger(), nullable=False),
    sa.Column('payload', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('producer', sa.String(length=128), nullable=False),
    sa.Column('producer_version', sa.String(length=64), nullable=False),
    sa.Column('model_profile', sa.String(length=128), nullable=False),
    sa.Column('config_hash', sa.String(length=64), nullable=False),
    sa.Column('input_hash', sa.String(length=64), nullable=False),
    sa.Column('run_id', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.task_id'], name=op.f('fk_artifacts_task_id_tasks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['video_id'], ['videos.video_id'], name=op.f('fk_artifacts_video_id_videos'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('artifact_id', name=op.f('pk_artifacts'))
    )
    op.create_index('ix_artifacts_task_id', 'artifacts', ['task_id'], unique=False)
    op.create_index('ix_artifacts_video_type_span', 'artifacts', ['video_id', 'artifact_type', 'span_start_ms'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_artifacts_video_type_span', table_name='artifacts')
    op.drop_index('ix_artifacts_task_id', table_name='artifacts')
    op.drop_table('artifacts')
    op.drop_index('ix_tasks_video_id_created_at', table_name='tasks')
    op.drop_index('ix_tasks_task_type_created_at', table_name='tasks')
    op.drop_index('ix_tasks_status_started_at', table_name='tasks')
    op.drop_index('ix_tasks_status_created_at', table_name='tasks')
    op.drop_index('ix_tasks_started_at', table_name='tasks')
    op.drop_index('ix_tasks_created_at', table_name='tasks')
    op.drop_table('tasks')
    op.drop_index('ix_videos_discovered_at', table_name='videos')
    op.drop_table('videos')
