"""a library that lives: video_paths, missing videos, task priority

A video becomes its content: `video_paths` holds every file path with that content
(filled here from `videos.path`), so `videos.path` is no longer unique (a missing
video keeps its last path, which a new file may take). Videos are `present` or
`missing` (since when); tasks carry a priority, which orders their jobs in the queue,
and the model profile their last completed run used (filled from their artifacts).

Constant defaults and a new table: no rewrite of `videos` or `tasks`.

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('videos', sa.Column('status', sa.String(length=16), server_default='present', nullable=False))
    op.add_column('videos', sa.Column('missing_since', sa.DateTime(timezone=True), nullable=True))
    op.create_check_constraint(op.f('ck_videos_missing_iff_since'), 'videos', "(status = 'missing') = (missing_since IS NOT NULL)")
    op.drop_constraint('uq_videos_path', 'videos', type_='unique')
    op.create_index('ix_videos_path', 'videos', ['path'])
    op.create_index('ix_videos_file_hash', 'videos', ['file_hash'])
    op.create_table(
        'video_paths',
        sa.Column('path', sa.Text(), nullable=False),
        sa.Column('video_id', sa.UUID(as_uuid=False), nullable=False),
        sa.Column('size_bytes', sa.BigInteger(), nullable=False),
        sa.Column('mtime', sa.Float(), nullable=False),
        sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['video_id'], ['videos.video_id'], name=op.f('fk_video_paths_video_id_videos'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('path', name=op.f('pk_video_paths')),
    )
    op.create_index('ix_video_paths_video_id', 'video_paths', ['video_id'])
    op.execute("INSERT INTO video_paths (path, video_id, size_bytes, mtime, added_at) "
               "SELECT path, video_id, size_bytes, coalesce(mtime, 0), discovered_at FROM videos")
    op.add_column('tasks', sa.Column('priority', sa.String(length=8), server_default='normal', nullable=False))
    op.add_column('tasks', sa.Column('model_profile', sa.String(length=128), nullable=True))
    # What the completed runs used, as their artifacts say (runs that found nothing stay
    # unknown: POST /reprocess with model_profile_not counts unknown as outdated).
    op.execute("UPDATE tasks t SET model_profile = a.model_profile FROM "
               "(SELECT DISTINCT ON (task_id) task_id, model_profile FROM artifacts ORDER BY task_id, created_at DESC) a "
               "WHERE a.task_id = t.task_id AND t.status = 'completed'")


def downgrade() -> None:
    op.drop_column('tasks', 'model_profile')
    op.drop_column('tasks', 'priority')
    op.drop_table('video_paths')
    op.drop_index('ix_videos_file_hash', table_name='videos')
    op.drop_index('ix_videos_path', table_name='videos')
    # Two videos may share a path now (a missing one and the file that took its place):
    # the older one goes, as the schema before this revision cannot hold both.
    op.execute("DELETE FROM videos a USING videos b WHERE a.path = b.path AND a.discovered_at < b.discovered_at")
    op.create_unique_constraint('uq_videos_path', 'videos', ['path'])
    op.drop_constraint(op.f('ck_videos_missing_iff_since'), 'videos', type_='check')
    op.drop_column('videos', 'missing_since')
    op.drop_column('videos', 'status')
