"""search: searchable columns of artifacts, computed from the payload, and their indexes

Full-text search over transcripts and on-screen text (a tsvector with a GIN index),
the same for on-screen text with the characters OCR confuses folded together, and "which videos show X" by label
(adapters/db/search.py). The four columns are generated (STORED) from the payload,
so every writer and every payload version gets them.

Adding stored generated columns rewrites `artifacts` once (minutes on tens of
millions of rows; it holds an exclusive lock meanwhile: run it in a quiet hour).

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from reelscan_shared.adapters.db.tables import CONFIDENCE, LABEL, OCR_FOLD, SEARCH_LANGUAGE, SEARCH_TEXT

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

# The on-screen text column as this revision made it (0009 moved it to artifact_text).
OCR_VECTOR = ("CASE WHEN artifact_type = 'ocr_text' THEN to_tsvector('simple'::regconfig, "
              + OCR_FOLD.format("payload ->> 'text'") + ") END")


def upgrade() -> None:
    op.add_column('artifacts', sa.Column('search_text', sa.Text(), sa.Computed(SEARCH_TEXT, persisted=True)))
    op.add_column('artifacts', sa.Column('search_vector', postgresql.TSVECTOR(), sa.Computed(
        f'to_tsvector({SEARCH_LANGUAGE}, {SEARCH_TEXT})', persisted=True)))
    op.add_column('artifacts', sa.Column('ocr_vector', postgresql.TSVECTOR(), sa.Computed(OCR_VECTOR, persisted=True)))
    op.add_column('artifacts', sa.Column('label', sa.Text(), sa.Computed(LABEL, persisted=True)))
    op.add_column('artifacts', sa.Column('confidence', sa.Float(), sa.Computed(CONFIDENCE, persisted=True)))
    op.create_index('ix_artifacts_search_vector', 'artifacts', ['search_vector'], postgresql_using='gin',
                    postgresql_where=sa.text('search_vector IS NOT NULL'))
    op.create_index('ix_artifacts_ocr_vector', 'artifacts', ['ocr_vector'], postgresql_using='gin',
                    postgresql_where=sa.text('ocr_vector IS NOT NULL'))
    op.create_index('ix_artifacts_label_video_span', 'artifacts', ['label', 'artifact_type', 'video_id',
                                                                   'span_start_ms'],
                    postgresql_include=['span_end_ms', 'confidence'], postgresql_where=sa.text('label IS NOT NULL'))


def downgrade() -> None:
    op.drop_index('ix_artifacts_label_video_span', table_name='artifacts')
    op.drop_index('ix_artifacts_ocr_vector', table_name='artifacts')
    op.drop_index('ix_artifacts_search_vector', table_name='artifacts')
    for column in ('confidence', 'label', 'ocr_vector', 'search_vector', 'search_text'):
        op.drop_column('artifacts', column)
