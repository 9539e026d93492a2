"""Untrained networks' results are no findings: out of search's tables

Results an untrained network produced (random weights; `model_profile` says
"untrained", e.g. `resnet18-places365-untrained-random-init`) were offered by
`GET /labels`, `/search/*` and summaries as if they were findings. From now on the
write path leaves them out of what search reads (`artifact_text`, `video_labels`);
this migration takes out the rows already there. The artifacts themselves stay, with
their provenance, readable at `/videos/{id}/artifacts`.

Only the (video, type) pairs that have untrained artifacts are rebuilt, so a library
without any costs one scan of `artifacts` and nothing else. A filter at query time was
the other choice; it would cost every search a check per row, where this costs none.

Revision ID: 0010
Revises: 0009
"""
from alembic import op

from reelscan_shared.adapters.db.labels import insert_merged
from reelscan_shared.adapters.db.tables import trained
from reelscan_shared.adapters.db.text_index import rows_where

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

_UNTRAINED = f"NOT ({trained()})"
_PAIRS = f"SELECT DISTINCT video_id, artifact_type FROM artifacts WHERE {_UNTRAINED}"
_IN_PAIRS = f"(a.video_id, a.artifact_type) IN ({_PAIRS})"
_DELETE_LABELS = (f"DELETE FROM video_labels l USING ({_PAIRS}) u "
                  "WHERE l.video_id = u.video_id AND l.artifact_type = u.artifact_type")


def upgrade() -> None:
    op.execute("DELETE FROM artifact_text t USING artifacts a "
               f"WHERE a.artifact_id = t.artifact_id AND NOT ({trained('a.')})")
    op.execute(_DELETE_LABELS)
    op.execute(insert_merged(f"{_IN_PAIRS} AND {trained('a.')}"))


def downgrade() -> None:
    # What the previous code indexed: every artifact, untrained ones included.
    op.execute(rows_where(_UNTRAINED))
    op.execute(_DELETE_LABELS)
    op.execute(insert_merged(_IN_PAIRS))
