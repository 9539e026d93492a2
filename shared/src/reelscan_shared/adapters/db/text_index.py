"""What full-text search reads: `artifact_text` (tables.py), one row per text artifact
(a transcript sentence, a piece of on-screen text) with its words as tsvectors.

The rows are written from the artifacts themselves (their ``search_text``, computed by
PostgreSQL from the payload) in the transaction that writes the artifacts (``add``),
and leave with them (the foreign key cascades). Artifacts of an untrained network
(model_profile says so) get no row. Deleting the artifacts of a re-run
deletes their rows; nothing else changes an artifact.

Two ways of reading the same words: ``search_vector``, stemmed (SEARCH_LANGUAGE), for
what was said or shown; ``ocr_vector``, on-screen text only, word by word with the
characters OCR confuses folded together (OCR_FOLD), so a misread word is found too.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from reelscan_shared.adapters.db.tables import OCR_FOLD, SEARCH_LANGUAGE, trained
from reelscan_shared.domain.search import TextKind

TEXT_TYPES = frozenset(k.artifact_type.value for k in TextKind)

_COLUMNS = "artifact_id, video_id, artifact_type, span_start_ms, span_end_ms, search_vector, ocr_vector"
_ROWS = f"""
INSERT INTO artifact_text ({_COLUMNS})
SELECT artifact_id, video_id, artifact_type, span_start_ms, span_end_ms,
       to_tsvector({SEARCH_LANGUAGE}, search_text),
       CASE WHEN artifact_type = 'ocr_text'
            THEN to_tsvector('simple'::regconfig, {OCR_FOLD.format('search_text')}) END
FROM artifacts WHERE search_text IS NOT NULL AND {{where}}
"""
# Text read by an untrained network is not indexed: search never finds it (tables.trained).
_ADD = _ROWS.format(where=f"task_id = CAST(:task_id AS uuid) AND {trained()}")
# Every text artifact at once: the migration that creates the table, and bench-scale
# after its bulk load.
REBUILD_ALL = ["DELETE FROM artifact_text", _ROWS.format(where=trained())]


def rows_where(where: str) -> str:
    """INSERT the rows of the text artifacts ``where`` selects (migrations)."""
    return _ROWS.format(where=where)


async def add(conn: AsyncConnection, task_id: str, artifact_type: str) -> None:
    """Index the words of the task's artifacts; call it in the transaction that writes them."""
    if artifact_type in TEXT_TYPES:  # objects, faces, places and scenes carry no text
        await conn.execute(text(_ADD), {"task_id": task_id})
