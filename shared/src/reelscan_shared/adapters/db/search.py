"""Library search in PostgreSQL: full-text search of transcripts and on-screen text,
over `artifact_text` (text_index.py); and where a label appears per video, from
`video_labels` (labels.py). What untrained networks produced is in neither (and not in
a video's digest): it is no finding.

Text: words are matched stemmed (English) through ``search_vector``; on-screen text is
matched a second way through ``ocr_vector``, with the characters OCR confuses folded
together on both sides, so a misread word is still found (it ranks below exact hits
and is flagged ``fuzzy``). Both are GIN-indexed; PostgreSQL ORs the two bitmaps.
"""

from __future__ import annotations

import html
from typing import Any

from sqlalchemy import bindparam, text

from reelscan_shared.adapters.db import labels as label_sql
from reelscan_shared.adapters.db.engine import Database
from reelscan_shared.adapters.db.tables import OCR_FOLD, SEARCH_LANGUAGE, trained
from reelscan_shared.domain.artifacts import ArtifactType
from reelscan_shared.domain.search import (
    Appearance,
    LabelCount,
    LabelKind,
    LabelSearch,
    TextHit,
    TextKind,
    TextRead,
    TextSearch,
    VideoAppearances,
    VideoDigest,
    match_time,
)

# Control characters as ts_headline's markers: they cannot come from the text's own
# markup, so the text can be HTML-escaped around them afterwards.
_START, _STOP = "\x02", "\x03"
# The queries as sub-selects: PostgreSQL works each out once per search (an InitPlan),
# not once per row, so the statement's generic plan is as cheap as a custom one and is
# the one used once the prepared statement has run a few times; a search then skips
# planning, which took a quarter of its time in the database (bench-scale).
_EXACT = (f"(SELECT websearch_to_tsquery({SEARCH_LANGUAGE}, :words) "
          f"&& to_tsquery({SEARCH_LANGUAGE}, :prefixes))")
_FOLDED = (f"(SELECT websearch_to_tsquery('simple'::regconfig, {OCR_FOLD.format(':words')}) "
           f"&& to_tsquery('simple'::regconfig, {OCR_FOLD.format(':prefixes')}))")

# The page is cut (ranked, after the cursor, limited) from artifact_text's narrow rows
# before anything else is read: the videos' paths, the artifacts' text, whether a hit
# is exact and the highlighted text are only worked out for its rows.
_TEXT_SQL = f"""
SELECT h.artifact_id, h.video_id, h.artifact_type, h.span_start_ms, h.span_end_ms, h.score, v.path, a.search_text,
       coalesce(h.search_vector @@ {_EXACT}, false) AS exact,
       ts_headline({SEARCH_LANGUAGE}, a.search_text, {_EXACT},
                   'StartSel={_START}, StopSel={_STOP}, HighlightAll=true') AS highlight
FROM (
    SELECT * FROM (
        SELECT t.artifact_id, t.video_id, t.artifact_type, t.span_start_ms, t.span_end_ms, t.search_vector,
               (coalesce(ts_rank_cd(t.search_vector, {_EXACT}), 0)
                + 0.5 * coalesce(ts_rank_cd(t.ocr_vector, {_FOLDED}), 0))::float8 AS score
        FROM artifact_text t
        WHERE t.artifact_type = ANY(:types)
          AND (t.search_vector @@ {_EXACT} OR (:with_ocr AND t.ocr_vector @@ {_FOLDED}))
          AND (CAST(:video_id AS uuid) IS NULL OR t.video_id = CAST(:video_id AS uuid))
    ) m
    WHERE CAST(:after_score AS float8) IS NULL
       OR m.score < :after_score OR (m.score = :after_score AND m.artifact_id > CAST(:after_id AS uuid))
    ORDER BY m.score DESC, m.artifact_id
    LIMIT :limit
) h
JOIN videos v ON v.video_id = h.video_id
JOIN artifacts a ON a.artifact_id = h.artifact_id
ORDER BY h.score DESC, h.artifact_id
"""
_TEXT = text(_TEXT_SQL)

_TEXT_READ_SQL = f"""
SELECT search_text AS text, min(span_start_ms) AS first_ms, max(span_end_ms) AS last_ms,
       sum(coalesce((payload ->> 'sightings')::int, 1))::bigint AS sightings
FROM artifacts WHERE video_id = CAST(:video_id AS uuid) AND artifact_type = 'ocr_text' AND {trained()}
GROUP BY search_text ORDER BY sightings DESC, first_ms LIMIT :limit
"""
_EXCERPT_SQL = f"""
SELECT search_text FROM artifacts
WHERE video_id = CAST(:video_id AS uuid) AND artifact_type = 'transcript_segment' AND {trained()}
ORDER BY span_start_ms LIMIT :limit
"""
_SCENES_SQL = ("SELECT count(*) FROM artifacts WHERE video_id = CAST(:video_id AS uuid) "
               "AND artifact_type = 'scene'")
EXCERPT_CHARS = 500


def _highlight(marked: str) -> str:
    escaped = html.escape(marked, quote=False)
    return escaped.replace(_START, "<mark>").replace(_STOP, "</mark>")


def text_params(s: TextSearch) -> dict[str, Any]:
    """The bound values of _TEXT_SQL for a search (also what bench-scale runs bare)."""
    return {"words": s.query.words, "prefixes": " & ".join(f"{p}:*" for p in s.query.prefixes),
            "types": [k.artifact_type.value for k in s.kinds], "with_ocr": TextKind.OCR in s.kinds,
            "video_id": s.video_id, "limit": s.limit,
            "after_score": s.after[0] if s.after else None, "after_id": s.after[1] if s.after else None}


def _hit(r: Any, kind: TextKind) -> TextHit:
    marked: str = r["highlight"]
    # ts_headline with HighlightAll returns the whole text, so the first marker stands
    # where the first matching word starts
    offset = marked.find(_START) if kind is TextKind.TRANSCRIPT and _START in marked else None
    return TextHit(artifact_id=str(r["artifact_id"]), video_id=str(r["video_id"]), path=r["path"], kind=kind,
                   start_ms=r["span_start_ms"], end_ms=r["span_end_ms"], text=r["search_text"], score=r["score"],
                   fuzzy=not r["exact"], highlight=_highlight(marked),
                   match_ms=match_time(r["span_start_ms"], r["span_end_ms"], r["search_text"], offset))


class SqlSearch:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def text(self, s: TextSearch) -> list[TextHit]:
        by_type = {k.artifact_type: k for k in TextKind}
        async with self._db.reads.connect() as conn:
            rows = (await conn.execute(_TEXT, text_params(s))).mappings().all()
        return [_hit(r, by_type[ArtifactType(r["artifact_type"])]) for r in rows]

    async def appearances(self, s: LabelSearch) -> tuple[list[VideoAppearances], int]:
        """One page of videos (and the number of videos in all) where the label appears."""
        values = label_sql.params(s)
        async with self._db.reads.connect() as conn:
            if s.min_confidence > 0:
                rows = (await conn.execute(text(label_sql.exact_sql(s)).bindparams(bindparam("min_confidence")),
                                           values)).mappings().all()
                total = rows[0]["total"] if rows else 0
            else:
                rows = (await conn.execute(text(label_sql.stored_sql(s)), values)).mappings().all()
                counted = rows or s.offset  # an empty first page needs no count
                total = (await conn.execute(text(label_sql.COUNT_SQL), values)).scalar_one() if counted else 0
        items = [VideoAppearances(video_id=str(r["video_id"]), path=r["path"], label=r["label"],
                                  on_screen_ms=r["on_screen_ms"], best_confidence=r["best_confidence"],
                                  span_count=r["span_count"],
                                  spans=[Appearance(a, b) for a, b in zip(r["span_starts"][:s.spans_per_video],
                                                                          r["span_ends"][:s.spans_per_video],
                                                                          strict=True)])
                 for r in rows]
        return items, total

    async def labels(self, kinds: frozenset[LabelKind], video_id: str | None, limit: int) -> list[LabelCount]:
        by_type = {k.artifact_type.value: k for k in LabelKind}
        params = {"types": [k.artifact_type.value for k in kinds], "video_id": video_id, "limit": limit}
        async with self._db.reads.connect() as conn:
            rows = (await conn.execute(text(label_sql.FACETS_SQL), params)).mappings().all()
        return [LabelCount(kind=by_type[r["artifact_type"]], label=r["label"], artifacts=r["artifacts"],
                           videos=r["videos"]) for r in rows]

    async def digest(self, video_id: str, texts: int) -> VideoDigest:
        params = {"video_id": video_id, "limit": texts}
        async with self._db.reads.connect() as conn:
            read = (await conn.execute(text(_TEXT_READ_SQL), params)).mappings().all()
            sentences = (await conn.execute(text(_EXCERPT_SQL), {"video_id": video_id, "limit": 20})).scalars()
            excerpt = " ".join(sentences)
            scenes = (await conn.execute(text(_SCENES_SQL), params)).scalar_one()
        if len(excerpt) > EXCERPT_CHARS:
            excerpt = excerpt[:EXCERPT_CHARS].rsplit(" ", 1)[0] + " …"
        return VideoDigest(text_read=[TextRead(r["text"], r["first_ms"], r["last_ms"], r["sightings"]) for r in read],
                           scene_count=scenes, transcript_excerpt=excerpt)
