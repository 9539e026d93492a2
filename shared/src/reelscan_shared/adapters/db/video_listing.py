"""The library list (GET /videos): which videos, in which order, and for a page of
them their tasks' progress and what was found, in four grouped queries however
many videos the page holds (never one per video).

Every figure reads an index that leads with the video id: tasks' unique
(video_id, task_type), video_labels' primary key, artifacts' (video_id,
artifact_type, span_start_ms).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from reelscan_shared.adapters.db.tables import video_labels, videos
from reelscan_shared.domain.search import LabelKind
from reelscan_shared.domain.videos import TOP_LABELS, LabelFound, VideoFindings, VideoOverview, VideoProgress, VideoSort
from reelscan_shared.ports.repositories import VideoQuery

_KIND_OF = {k.artifact_type.value: k.value for k in LabelKind}
_NAME = func.lower(func.regexp_replace(videos.c.path, "^.*/", ""))


def _conditions(q: VideoQuery) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if q.status is not None:
        where.append(videos.c.status == q.status.value)
    if q.label is not None:
        # The label's rows of each kind (video_labels' (artifact_type, label, ...) indexes).
        where.append(videos.c.video_id.in_(select(video_labels.c.video_id).where(
            video_labels.c.artifact_type.in_(list(_KIND_OF)), video_labels.c.label == q.label)))
    return where


def count_statement(q: VideoQuery) -> Select[Any]:
    return select(func.count()).select_from(videos).where(*_conditions(q))


def page_statement(q: VideoQuery) -> Select[Any]:
    order = {
        VideoSort.NEWEST: [videos.c.discovered_at.desc(), videos.c.video_id],
        VideoSort.NAME: [_NAME, videos.c.path, videos.c.video_id],
        VideoSort.DURATION: [videos.c.duration_ms.asc().nulls_last(), videos.c.video_id],
    }[q.sort]
    return select(videos).where(*_conditions(q)).order_by(*order).limit(q.limit).offset(q.offset)


_PROGRESS = text("""
SELECT video_id::text AS video_id, count(*) AS total,
       count(*) FILTER (WHERE status = 'completed') AS completed,
       count(*) FILTER (WHERE status = 'running') AS running,
       count(*) FILTER (WHERE status = 'failed') AS failed
FROM tasks WHERE video_id = ANY(CAST(:ids AS uuid[])) GROUP BY video_id
""")

# Each video's labels, longest on screen first, and its time with a face on screen.
_LABELS = text("""
SELECT video_id::text, artifact_type, label, face_ms FROM (
    SELECT video_id, artifact_type, label,
           row_number() OVER (PARTITION BY video_id ORDER BY on_screen_ms DESC, artifact_type, label) AS rank,
           sum(CASE WHEN artifact_type = 'face_detection' THEN on_screen_ms ELSE 0 END)
               OVER (PARTITION BY video_id) AS face_ms
    FROM video_labels WHERE video_id = ANY(CAST(:ids AS uuid[]))
) ranked WHERE rank <= :top ORDER BY video_id, rank
""")

_SCENES = text("""
SELECT video_id::text, count(*) FROM artifacts
WHERE video_id = ANY(CAST(:ids AS uuid[])) AND artifact_type = 'scene' GROUP BY video_id
""")

# Words of on-screen text, each distinct text once (per-frame rows repeat a text).
_WORDS = text("""
SELECT video_id::text, sum(CASE WHEN btrim(search_text) = '' THEN 0
                          ELSE array_length(regexp_split_to_array(btrim(search_text), '\\s+'), 1) END)
FROM (SELECT DISTINCT video_id, search_text FROM artifacts
      WHERE video_id = ANY(CAST(:ids AS uuid[])) AND artifact_type = 'ocr_text' AND search_text IS NOT NULL) texts
GROUP BY video_id
""")


async def overviews(conn: AsyncConnection, video_ids: Sequence[str]) -> dict[str, VideoOverview]:
    ids = {"ids": list(video_ids)}
    progress = {r.video_id: VideoProgress(total=r.total, completed=r.completed, running=r.running, failed=r.failed)
                for r in (await conn.execute(_PROGRESS, ids)).all()}
    labels: dict[str, list[LabelFound]] = defaultdict(list)
    face_ms: dict[str, int] = {}
    for video_id, artifact_type, label, face in (await conn.execute(_LABELS, {**ids, "top": TOP_LABELS})).all():
        labels[video_id].append(LabelFound(kind=_KIND_OF[artifact_type], label=label))
        face_ms[video_id] = int(face)
    scenes: dict[str, int] = dict((await conn.execute(_SCENES, ids)).tuples().all())
    words: dict[str, int | None] = dict((await conn.execute(_WORDS, ids)).tuples().all())
    return {v: VideoOverview(
        progress=progress.get(v, VideoProgress()),
        findings=VideoFindings(top_labels=tuple(labels.get(v, ())), face_seconds=face_ms.get(v, 0) / 1000,
                               words_read=int(words.get(v) or 0), scenes=int(scenes.get(v, 0))),
    ) for v in video_ids}
