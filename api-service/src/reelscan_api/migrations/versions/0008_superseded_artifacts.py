"""superseded_artifacts: what re-runs replaced, kept with KEEP_SUPERSEDED=true

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'superseded_artifacts',
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
        sa.Column('superseded_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['task_id'], ['tasks.task_id'],
                                name=op.f('fk_superseded_artifacts_task_id_tasks'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['video_id'], ['videos.video_id'],
                                name=op.f('fk_superseded_artifacts_video_id_videos'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('artifact_id', name=op.f('pk_superseded_artifacts')),
    )
    op.create_index('ix_superseded_artifacts_video_type_span', 'superseded_artifacts',
                    ['video_id', 'artifact_type', 'span_start_ms'])
    op.create_index('ix_superseded_artifacts_task_id', 'superseded_artifacts', ['task_id'])


def downgrade() -> None:
    op.drop_table('superseded_artifacts')
