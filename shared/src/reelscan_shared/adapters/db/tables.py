"""Table definitions (SQLAlchemy Core). Alembic migrations in api-service create
them; a test checks the migrated database matches this metadata."""

from sqlalchemy import (
    BigInteger,
    Column,
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
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

videos = Table(
    "videos",
    metadata,
    Column("video_id", UUID(as_uuid=False), primary_key=True),
    Column("path", Text, nullable=False, unique=True),
    Column("file_hash", String(64), nullable=False),
    Column("size_bytes", BigInteger, nullable=False),
    Column("duration_ms", BigInteger, nullable=True),
    Column("mtime", Float, nullable=True),
    Column("discovered_at", DateTime(timezone=True), nullable=False),
    Index("ix_videos_discovered_at", "discovered_at"),
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
    UniqueConstraint("video_id", "task_type"),
    # The task list filters by status / type / video and sorts by created_at,
    # started_at or running time; these cover each filter with each sort.
    Index("ix_tasks_status_created_at", "status", "created_at"),
    Index("ix_tasks_status_started_at", "status", "started_at"),
    Index("ix_tasks_task_type_created_at", "task_type", "created_at"),
    Index("ix_tasks_video_id_created_at", "video_id", "created_at"),
    Index("ix_tasks_created_at", "created_at"),
    Index("ix_tasks_started_at", "started_at"),
)

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
    Index("ix_artifacts_video_type_span", "video_id", "artifact_type", "span_start_ms"),
    Index("ix_artifacts_task_id", "task_id"),
)
