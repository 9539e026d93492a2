"""artifact_text: full-text search's rows in a narrow table of their own

A search ranks every row that matches its words (ts_rank_cd reads each row's
tsvector), so a common word reads thousands of rows. As columns of `artifacts` those
vectors sat in rows ten times their size (payload, provenance): the pages a search
touched did not stay in memory and every row was slow to read. `artifact_text` holds
one row per text artifact (its span and its two tsvectors). With the queries computed
once per search (search.py), GET /search p95 at 16 clients over a million artifacts
went from 55 to 38 ms (bench-scale, same machine; README).

This migration fills it from the artifacts already stored (a pass over the text
artifacts: minutes on tens of millions), then drops the two vector columns of
`artifacts` (instant; their space is reused as rows are rewritten).

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from reelscan_shared.adapters.db.tables import OCR_FOLD, SEARCH_LANGUAGE, SEARCH_TEXT
from reelscan_shared.adapters.db.text_index import REBUILD_ALL

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'artifact_text',
        sa.Column('artifact_id', sa.UUID(as_uuid=False), nullable=False),
        sa.Column('video_id', sa.UUID(as_uuid=False), nullable=False),
        sa.Column('artifact_type', sa.String(length=32), nullable=False),
        sa.Column('span_start_ms', sa.BigInteger(), nullable=False),
        sa.Column('span_end_ms', sa.BigInteger(), nullable=False),
        sa.Column('search_vector', postgresql.TSVECTOR(), nullable=False),
        sa.Column('ocr_vector', postgresql.TSVECTOR(), nullable=True),
        sa.ForeignKeyConstraint(['artifact_id'], ['artifacts.artifact_id'],
                                name=op.f('fk_artifact_text_artifact_id_artifacts'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('artifact_id', name=op.f('pk_artifact_text')),
    )
    for statement in REBUILD_ALL:  # before the indexes: one build is faster than a million inserts
        op.execute(statement)
    op.create_index('ix_artifact_text_search_vector', 'artifact_text', ['search_vector'], postgresql_using='gin',
                    postgresql_with={'fastupdate': 'off'})
    op.create_index('ix_artifact_text_ocr_vector', 'artifact_text', ['ocr_vector'], postgresql_using='gin',
                    postgresql_where=sa.text('ocr_vector IS NOT NULL'), postgresql_with={'fastupdate': 'off'})
    op.drop_index('ix_artifacts_ocr_vector', table_name='artifacts')
    op.drop_index('ix_artifacts_search_vector', table_name='artifacts')
    op.drop_column('artifacts', 'ocr_vector')
    op.drop_column('artifacts', 'search_vector')


def downgrade() -> None:
    # What 0004 and 0005 made: the columns computed on artifacts (this rewrites the table).
    ocr_vector = ("CASE WHEN artifact_type = 'ocr_text' THEN to_tsvector('simple'::regconfig, "
                  + OCR_FOLD.format("payload ->> 'text'") + ") END")
    op.add_column('artifacts', sa.Column('search_vector', postgresql.TSVECTOR(), sa.Computed(
        f'to_tsvector({SEARCH_LANGUAGE}, {SEARCH_TEXT})', persisted=True)))
    op.add_column('artifacts', sa.Column('ocr_vector', postgresql.TSVECTOR(), sa.Computed(ocr_vector, persisted=True)))
    op.create_index('ix_artifacts_search_vector', 'artifacts', ['search_vector'], postgresql_using='gin',
                    postgresql_where=sa.text('search_vector IS NOT NULL'), postgresql_with={'fastupdate': 'off'})
    op.create_index('ix_artifacts_ocr_vector', 'artifacts', ['ocr_vector'], postgresql_using='gin',
                    postgresql_where=sa.text('ocr_vector IS NOT NULL'), postgresql_with={'fastupdate': 'off'})
    op.drop_table('artifact_text')
