"""video_labels: where each label appears per video, merged from the artifacts; GIN
indexes without a pending list

"Which videos show X" read every detection of the label in the library and merged
them at query time (1.2 s p95 for the commonest COCO labels over a million
artifacts). `video_labels` holds the merged result per video and label, kept up to
date when a task writes its artifacts (adapters/db/labels.py); this migration fills it
from the artifacts already stored (a pass over the labelled artifacts: minutes on tens
of millions).

The full-text GIN indexes stop using fastupdate: its pending list (up to 4 MB,
emptied only by VACUUM) is scanned by every search, which made a one-word search
about 20x slower between vacuums.

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from reelscan_shared.adapters.db.labels import REBUILD_ALL

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

_GIN = ('ix_artifacts_search_vector', 'ix_artifacts_ocr_vector')


def upgrade() -> None:
    op.create_table(
        'video_labels',
        sa.Column('video_id', postgresql.UUID(as_uuid=False), nullable=False),
        sa.Column('artifact_type', sa.String(32), nullable=False),
        sa.Column('label', sa.Text(), nullable=False),
        sa.Column('on_screen_ms', sa.BigInteger(), nullable=False),
        sa.Column('span_count', sa.Integer(), nullable=False),
        sa.Column('best_confidence', sa.Float(), nullable=False),
        sa.Column('artifacts', sa.Integer(), nullable=False),
        sa.Column('span_starts', postgresql.ARRAY(sa.BigInteger()), nullable=False),
        sa.Column('span_ends', postgresql.ARRAY(sa.BigInteger()), nullable=False),
        sa.ForeignKeyConstraint(['video_id'], ['videos.video_id'], name='fk_video_labels_video_id_videos',
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('video_id', 'artifact_type', 'label', name='pk_video_labels'),
    )
    op.create_index('ix_video_labels_artifact_type_label_on_screen_ms', 'video_labels',
                    ['artifact_type', 'label', sa.text('on_screen_ms DESC'), 'video_id'])
    op.create_index('ix_video_labels_artifact_type_label_best_confidence', 'video_labels',
                    ['artifact_type', 'label', sa.text('best_confidence DESC'), sa.text('on_screen_ms DESC'),
                     'video_id'])
    op.create_index('ix_video_labels_artifact_type_on_screen_ms', 'video_labels',
                    ['artifact_type', sa.text('on_screen_ms DESC'), 'video_id', 'label'])
    for statement in REBUILD_ALL:
        op.execute(statement)
    for index in _GIN:
        op.execute(f'ALTER INDEX {index} SET (fastupdate = off)')
        op.execute(f"SELECT gin_clean_pending_list('{index}'::regclass)")  # what is pending stays otherwise


def downgrade() -> None:
    for index in _GIN:
        op.execute(f'ALTER INDEX {index} RESET (fastupdate)')
    op.drop_table('video_labels')
