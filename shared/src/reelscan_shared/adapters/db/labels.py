"""Where each label appears, per video: the artifacts' spans merged into `video_labels`
(tables.py), and "which videos show X" read from it.

A video's rows of one artifact type are recomputed whenever a task writes that type's
artifacts (``refresh``, in the same transaction), so a search reads one row per video
instead of merging every detection of the label in the library at query time (1.2 s for
"person" over a million artifacts). Only a ``min_confidence`` above 0 still merges at
query time (``exact_sql``): the stored totals count every stored detection. Detections
of an untrained network (model_profile says so) are merged nowhere.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from reelscan_shared.adapters.db.tables import trained
from reelscan_shared.domain.search import SPANS_KEPT, LabelKind, LabelSearch

LABELLED_TYPES = frozenset(k.artifact_type.value for k in LabelKind)

# Spans of one label per video, merged where they overlap ("islands": a span starts a
# new island unless an earlier one of the same video reaches it). A sample stands for
# its sampling interval, so a span ends one interval after its last sample and the
# samples of per-frame rows join up. {where} picks the artifacts.
_MERGED = """
WITH s AS (
    SELECT a.video_id, a.artifact_type, a.label, a.span_start_ms AS st, a.confidence,
           a.span_end_ms + coalesce(round((t.config ->> 'frame_interval_s')::float8 * 1000), 0)::bigint AS en
    FROM artifacts a JOIN tasks t ON t.task_id = a.task_id
    WHERE a.label IS NOT NULL AND {where}
), reach AS (
    SELECT *, max(en) OVER (PARTITION BY video_id, artifact_type, label ORDER BY st, en
                            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reached
    FROM s
), numbered AS (
    SELECT *, count(*) FILTER (WHERE reached IS NULL OR reached < st)
                  OVER (PARTITION BY video_id, artifact_type, label ORDER BY st, en ROWS UNBOUNDED PRECEDING) AS island
    FROM reach
), islands AS (
    SELECT video_id, artifact_type, label, min(st) AS st, max(en) AS en, max(confidence) AS best, count(*) AS n
    FROM numbered GROUP BY video_id, artifact_type, label, island
), merged AS (
    SELECT video_id, artifact_type, label, sum(en - st)::bigint AS on_screen_ms,
           coalesce(max(best), 0) AS best_confidence, count(*)::int AS span_count, sum(n)::int AS artifacts,
           (array_agg(st ORDER BY st))[1:{kept}] AS span_starts,
           (array_agg(en ORDER BY st))[1:{kept}] AS span_ends
    FROM islands GROUP BY video_id, artifact_type, label
)
"""
_COLUMNS = ("video_id, artifact_type, label, on_screen_ms, span_count, best_confidence, artifacts, "
            "span_starts, span_ends")


def _merged(where: str) -> str:
    return _MERGED.format(where=where, kept=SPANS_KEPT)


# What an untrained network "found" is no finding: only trained models' artifacts are merged.
_TRAINED = trained("a.")


def insert_merged(where: str) -> str:
    """INSERT the merged rows of the artifacts ``where`` selects (alias ``a``)."""
    return f"INSERT INTO video_labels ({_COLUMNS}) " + _merged(where) + f"SELECT {_COLUMNS} FROM merged"


_REFRESH = [
    # Two tasks of one video and type (a re-run) must not interleave their delete and insert.
    "SELECT pg_advisory_xact_lock(hashtextextended(CAST(:video_id AS text) || :artifact_type, 0))",
    "DELETE FROM video_labels WHERE video_id = CAST(:video_id AS uuid) AND artifact_type = :artifact_type",
    insert_merged(f"a.video_id = CAST(:video_id AS uuid) AND a.artifact_type = :artifact_type AND {_TRAINED}"),
]
# Every video at once: the migration that creates the table, and bench-scale after its bulk load.
REBUILD_ALL = ["DELETE FROM video_labels", insert_merged(_TRAINED)]


async def refresh(conn: AsyncConnection, video_id: str, artifact_type: str) -> None:
    """Recompute the video's rows of this artifact type from its artifacts; call it in
    the transaction that changes them."""
    if artifact_type not in LABELLED_TYPES:  # transcripts, text, scenes carry no label
        return
    for statement in _REFRESH:
        await conn.execute(text(statement), {"video_id": video_id, "artifact_type": artifact_type})


_ORDERS = {"on_screen": "on_screen_ms DESC", "confidence": "best_confidence DESC, on_screen_ms DESC"}
_FILTER = """artifact_type = :artifact_type
  AND (CAST(:label AS text) IS NULL OR label = :label)
  AND (CAST(:video_id AS uuid) IS NULL OR video_id = CAST(:video_id AS uuid))"""

# The stored rows: a page by the index of the sort order, then only its videos' paths.
_STORED_SQL = """
SELECT l.*, v.path FROM (
    SELECT * FROM video_labels WHERE {filter}
    ORDER BY {order}, video_id, label LIMIT :limit OFFSET :offset
) l JOIN videos v ON v.video_id = l.video_id
ORDER BY {order}, l.video_id, l.label
"""
COUNT_SQL = f"SELECT count(*) FROM video_labels WHERE {_FILTER}"  # of the stored rows: videos in all

# Above a confidence floor the stored totals do not apply: merge the detections that pass.
_EXACT_SQL = """{merged}
SELECT m.*, v.path, count(*) OVER () AS total
FROM merged m JOIN videos v ON v.video_id = m.video_id
ORDER BY {order}, m.video_id, m.label
LIMIT :limit OFFSET :offset
"""


def stored_sql(s: LabelSearch) -> str:
    return _STORED_SQL.format(filter=_FILTER, order=_ORDERS[s.sort])


def exact_sql(s: LabelSearch) -> str:
    where = """a.artifact_type = :artifact_type
      AND (CAST(:label AS text) IS NULL OR a.label = :label)
      AND (CAST(:video_id AS uuid) IS NULL OR a.video_id = CAST(:video_id AS uuid))
      AND a.confidence >= :min_confidence AND """ + _TRAINED
    return _EXACT_SQL.format(merged=_merged(where), order=_ORDERS[s.sort])


def params(s: LabelSearch) -> dict[str, Any]:
    return {"artifact_type": s.kind.artifact_type.value, "label": s.label, "video_id": s.video_id,
            "min_confidence": s.min_confidence, "limit": s.limit, "offset": s.offset}


FACETS_SQL = """
SELECT artifact_type, label, sum(artifacts)::bigint AS artifacts, count(*) AS videos
FROM video_labels
WHERE artifact_type = ANY(:types) AND (CAST(:video_id AS uuid) IS NULL OR video_id = CAST(:video_id AS uuid))
GROUP BY artifact_type, label
ORDER BY sum(artifacts) DESC, label
LIMIT :limit
"""
