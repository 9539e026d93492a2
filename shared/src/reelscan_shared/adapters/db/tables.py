"""Table definitions (SQLAlchemy Core). Alembic migrations in api-service create
them; a test checks the migrated database matches this metadata."""

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Computed,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR, UUID

from reelscan_shared.domain.artifacts import UNTRAINED_MARK

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
    }
)

videos = Table(
    "videos",
    metadata,
    Column("video_id", UUID(as_uuid=False), primary_key=True),
    # The path analyses read: one of video_paths' while PRESENT, the last one while MISSING.
    Column("path", Text, nullable=False),
    Column("file_hash", String(64), nullable=False),
    Column("size_bytes", BigInteger, nullable=False),
    Column("duration_ms", BigInteger, nullable=True),
    Column("mtime", Float, nullable=True),
    Column("discovered_at", DateTime(timezone=True), nullable=False),
    Column("status", String(16), nullable=False, server_default="present"),  # domain.videos.VideoStatus
    Column("missing_since", DateTime(timezone=True), nullable=True),
    CheckConstraint("(status = 'missing') = (missing_since IS NOT NULL)", name="missing_iff_since"),
    Index("ix_videos_discovered_at", "discovered_at"),
    Index("ix_videos_file_hash", "file_hash"),  # content identity: a scan looks files up by hash
    Index("ix_videos_path", "path"),
    # The transaction that last inserted or updated the row, set by a trigger (migration
    # 0011): the cursor of GET /events (api-service events.py).
    Column("changed_xid", BigInteger, nullable=False, server_default="0"),
    Index("ix_videos_changed_xid", "changed_xid"),
)

# Where each video's content is in the library: every file path, with the size and
# mtime it had when last read through (a scan re-hashes a path only when they change).
video_paths = Table(
    "video_paths",
    metadata,
    Column("path", Text, primary_key=True),
    Column("video_id", UUID(as_uuid=False), ForeignKey("videos.video_id", ondelete="CASCADE"), nullable=False),
    Column("size_bytes", BigInteger, nullable=False),
    Column("mtime", Float, nullable=False),
    Column("added_at", DateTime(timezone=True), nullable=False),
    Index("ix_video_paths_video_id", "video_id"),
)

tasks = Table(
    "tasks",
    metadata,
    Column("task_id", UUID(as_uuid=False), primary_key=True),
    Column("video_id", UUID(as_uuid=False), ForeignKey("videos.video_id", ondelete="CASCADE"), nullable=False),
    Column("task_type", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("queue", String(32), nullable=False),
    Column("config", JSONB, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("error", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=True),
    Column("completed_at", DateTime(timezone=True), nullable=True),
    # Progress of the current run (domain.tasks.Progress)
    Column("done_ms", BigInteger, nullable=False, server_default="0"),
    Column("total_ms", BigInteger, nullable=True),
    Column("spent_ms", BigInteger, nullable=False, server_default="0"),
    Column("priority", String(8), nullable=False, server_default="normal"),  # domain.tasks.Priority
    # The model its last completed run used (the ML service's model_profile): what
    # POST /reprocess compares after a model upgrade, even for runs that found nothing.
    Column("model_profile", String(128), nullable=True),
    Column("changed_xid", BigInteger, nullable=False, server_default="0"),  # as videos'
    Index("ix_tasks_changed_xid", "changed_xid"),
    UniqueConstraint("video_id", "task_type"),  # its index also serves ?video_id=
    # What Task.apply guarantees, kept by the database too: the task list relies on it
    # to know which tasks have a start or end time (task_listing.py).
    CheckConstraint("(status = 'pending') = (started_at IS NULL)", name="pending_iff_never_started"),
    CheckConstraint("(status IN ('pending', 'running')) = (completed_at IS NULL)", name="unfinished_iff_no_end"),
)

# How long a finished task ran. The task list sorts by run time; as an indexed
# expression the finished tasks can be read in that order (see task_listing.py).
RUN_TIME_OF_FINISHED = tasks.c.completed_at - tasks.c.started_at

# The task list's indexes: each sort key (created_at, started_at, run time), with
# task_id as the tie-breaker, alone and after status (the usual filter). Filtering by
# task type as well reads the same index and skips the other types.
for _name, _key in (("created_at", tasks.c.created_at), ("started_at", tasks.c.started_at),
                    ("run_time", RUN_TIME_OF_FINISHED)):
    Index(f"ix_tasks_{_name}_task_id", _key, tasks.c.task_id)
    Index(f"ix_tasks_status_{_name}_task_id", tasks.c.status, _key, tasks.c.task_id)
Index("ix_tasks_task_type_created_at_task_id", tasks.c.task_type, tasks.c.created_at, tasks.c.task_id)

# The searchable columns of artifacts, as SQL over the payload. The text of
# transcript sentences and on-screen text; the label of objects, places (the top
# class of a per-frame row) and faces (all "face"); the confidence to filter on (a
# span's best, a per-frame row's own). Changing one needs a migration.
SEARCH_LANGUAGE = "'english'::regconfig"
SEARCH_TEXT = "CASE WHEN artifact_type IN ('transcript_segment', 'ocr_text') THEN payload ->> 'text' END"
# On-screen text once more with the characters OCR confuses folded together (0/O,
# 1/l/I/|, 5/S, 8/B, rn/m, vv/w), word by word without stemming: the query is
# folded the same way (search.py), so "EXIT" finds "EXlT" and "B0AT" finds "BOAT".
# pg_trgm was the other candidate; the embedded PostgreSQL (pgserver) does not ship
# it, and its word similarity of a short word with one misread letter ("exit" vs
# "exlt": 2 of 5 trigrams) is under its default threshold anyway.
OCR_FOLD = "replace(replace(translate(lower({}), '0l|1!58$', 'oiiiisbs'), 'rn', 'm'), 'vv', 'w')"
LABEL = ("CASE artifact_type WHEN 'object_detection' THEN payload ->> 'label' "
         "WHEN 'place_classification' THEN coalesce(payload ->> 'label', payload -> 'top_k' -> 0 ->> 'label') "
         "WHEN 'face_detection' THEN 'face' END")
CONFIDENCE = ("coalesce((payload ->> 'best_confidence')::float8, (payload ->> 'confidence')::float8, "
              "(payload ->> 'best_score')::float8, (payload -> 'top_k' -> 0 ->> 'score')::float8)")



def trained(alias: str = "") -> str:
    """SQL: the artifact (``alias``, e.g. "a.") comes from a trained model. Only such
    artifacts enter what search reads (artifact_text, video_labels) and summaries, so
    searches themselves need no filter (domain.artifacts.is_untrained)."""
    return f"position('{UNTRAINED_MARK}' in {alias}model_profile) = 0"


artifacts = Table(
    "artifacts",
    metadata,
    Column("artifact_id", UUID(as_uuid=False), primary_key=True),
    Column("video_id", UUID(as_uuid=False), ForeignKey("videos.video_id", ondelete="CASCADE"), nullable=False),
    Column("task_id", UUID(as_uuid=False), ForeignKey("tasks.task_id", ondelete="CASCADE"), nullable=False),
    Column("artifact_type", String(32), nullable=False),
    Column("schema_version", Integer, nullable=False),
    Column("span_start_ms", BigInteger, nullable=False),
    Column("span_end_ms", BigInteger, nullable=False),
    Column("payload", JSONB, nullable=False),
    Column("producer", String(128), nullable=False),
    Column("producer_version", String(64), nullable=False),
    Column("model_profile", String(128), nullable=False),
    Column("config_hash", String(64), nullable=False),
    Column("input_hash", String(64), nullable=False),
    Column("run_id", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # What search reads, computed by PostgreSQL from the payload (every schema version
    # of it), so no writer can forget them; see adapters/db/search.py.
    Column("search_text", Text, Computed(SEARCH_TEXT, persisted=True)),
    Column("label", Text, Computed(LABEL, persisted=True)),
    Column("confidence", Float, Computed(CONFIDENCE, persisted=True)),
    Index("ix_artifacts_video_type_span", "video_id", "artifact_type", "span_start_ms"),
    Index("ix_artifacts_task_id", "task_id"),
    # "Which videos show X": the label's rows, per video in time order, with what the
    # time-on-screen sum needs, from the index alone.
    Index("ix_artifacts_label_video_span", "label", "artifact_type", "video_id", "span_start_ms",
          postgresql_include=["span_end_ms", "confidence"], postgresql_where="label IS NOT NULL"),
)

# Full-text search's rows (adapters/db/text_index.py): one per text artifact (a
# transcript sentence, a piece of on-screen text) with its words as tsvectors, written
# with the artifacts. A table of its own because a search ranks every row that matches:
# these rows are a tenth the size of the artifacts' (no payload or provenance), so the
# pages a search reads stay in memory and each row is cheap to read (migration 0009).
artifact_text = Table(
    "artifact_text",
    metadata,
    Column("artifact_id", UUID(as_uuid=False), ForeignKey("artifacts.artifact_id", ondelete="CASCADE"),
           primary_key=True),
    Column("video_id", UUID(as_uuid=False), nullable=False),
    Column("artifact_type", String(32), nullable=False),
    Column("span_start_ms", BigInteger, nullable=False),
    Column("span_end_ms", BigInteger, nullable=False),
    Column("search_vector", TSVECTOR, nullable=False),  # the words, stemmed (SEARCH_LANGUAGE)
    Column("ocr_vector", TSVECTOR, nullable=True),  # on-screen text only: its words with OCR_FOLD applied
    # fastupdate off: with it on, every search also scans the index's unsorted pending
    # list (up to 4 MB), which made a one-word search 10 ms instead of 0.5 ms until a
    # VACUUM; steady search time is worth the slower inserts (migration 0005).
    Index("ix_artifact_text_search_vector", "search_vector", postgresql_using="gin",
          postgresql_with={"fastupdate": "off"}),
    Index("ix_artifact_text_ocr_vector", "ocr_vector", postgresql_using="gin",
          postgresql_where="ocr_vector IS NOT NULL", postgresql_with={"fastupdate": "off"}),
)

# Per video and label, where it appears (adapters/db/labels.py): the artifacts' spans
# merged, kept up to date when a task's artifacts are written, so "which videos show X"
# reads one row per video instead of merging every detection of the label.
video_labels = Table(
    "video_labels",
    metadata,
    Column("video_id", UUID(as_uuid=False), ForeignKey("videos.video_id", ondelete="CASCADE"), primary_key=True),
    Column("artifact_type", String(32), primary_key=True),
    Column("label", Text, primary_key=True),
    Column("on_screen_ms", BigInteger, nullable=False),
    Column("span_count", Integer, nullable=False),
    Column("best_confidence", Float, nullable=False),
    Column("artifacts", Integer, nullable=False),
    Column("span_starts", ARRAY(BigInteger), nullable=False),  # the first SPANS_KEPT spans, in time order
    Column("span_ends", ARRAY(BigInteger), nullable=False),
    Index("ix_video_labels_artifact_type_label_on_screen_ms", "artifact_type", "label", text("on_screen_ms DESC"),
          "video_id"),
    Index("ix_video_labels_artifact_type_label_best_confidence", "artifact_type", "label",
          text("best_confidence DESC"), text("on_screen_ms DESC"), "video_id"),
    Index("ix_video_labels_artifact_type_on_screen_ms", "artifact_type", text("on_screen_ms DESC"), "video_id",
          "label"),
)

# The segments of a run so far (domain.segments): what each found, until the task
# completes (they become its artifacts) or its run ends otherwise.
task_segments = Table(
    "task_segments",
    metadata,
    Column("task_id", UUID(as_uuid=False), ForeignKey("tasks.task_id", ondelete="CASCADE"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("start_ms", BigInteger, nullable=False),
    Column("end_ms", BigInteger, nullable=False),
    Column("artifact_type", String(32), nullable=False),
    Column("schema_version", Integer, nullable=False),
    Column("provenance", JSONB, nullable=False),
    Column("duration_ms", BigInteger, nullable=True),
    Column("elapsed_ms", BigInteger, nullable=False),
    Column("items", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("end_ms > start_ms", name="ends_after_start"),
)

# The columns an artifact is made of: what readers of artifacts select (not the
# computed search columns, which only search reads).
ARTIFACT_COLUMNS = [c for c in artifacts.c if c.computed is None]

# With KEEP_SUPERSEDED, the results a re-run replaced (a new version of the video, a
# reprocess) move here instead of being deleted: the same columns, and when.
superseded_artifacts = Table(
    "superseded_artifacts",
    metadata,
    *[c._copy() for c in ARTIFACT_COLUMNS if c.name not in ("video_id", "task_id")],
    Column("video_id", UUID(as_uuid=False), ForeignKey("videos.video_id", ondelete="CASCADE"), nullable=False),
    Column("task_id", UUID(as_uuid=False), ForeignKey("tasks.task_id", ondelete="CASCADE"), nullable=False),
    Column("superseded_at", DateTime(timezone=True), nullable=False),
    Index("ix_superseded_artifacts_video_type_span", "video_id", "artifact_type", "span_start_ms"),
    Index("ix_superseded_artifacts_task_id", "task_id"),
)

# Webhooks (domain/events.py). A subscription per receiver: from WEBHOOK_URLS (source
# env, signed with WEBHOOK_SECRET) or POST /webhooks (source api, its own secret).
webhooks = Table(
    "webhooks",
    metadata,
    Column("webhook_id", UUID(as_uuid=False), primary_key=True),
    Column("url", Text, nullable=False),
    Column("secret", Text, nullable=True),  # null: WEBHOOK_SECRET; never returned by the API
    Column("event_types", ARRAY(Text), nullable=True),  # null: every event type
    Column("source", String(8), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("source", "url"),
)

# The outbox: events written in the transaction of the change they report, one
# delivery row per subscribed webhook, worked through by the workers' dispatcher.
events = Table(
    "events",
    metadata,
    Column("event_id", UUID(as_uuid=False), primary_key=True),
    Column("event_type", String(32), nullable=False),
    Column("payload", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_events_created_at", "created_at"),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("event_id", UUID(as_uuid=False), ForeignKey("events.event_id", ondelete="CASCADE"), primary_key=True),
    Column("webhook_id", UUID(as_uuid=False), ForeignKey("webhooks.webhook_id", ondelete="CASCADE"),
           primary_key=True),
    Column("status", String(16), nullable=False),  # pending, delivered, failed (gave up)
    Column("attempts", Integer, nullable=False, server_default="0"),
    # When it is next due; while an attempt is under way, when that attempt's claim lapses.
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("last_status", Integer, nullable=True),  # the receiver's HTTP status
    Column("last_error", Text, nullable=True),
    Column("delivered_at", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_webhook_deliveries_due", "next_attempt_at", postgresql_where="status = 'pending'"),
    Index("ix_webhook_deliveries_webhook_id", "webhook_id"),
)
