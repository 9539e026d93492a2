"""HTTP response models (the API's public contract, shown at /docs)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from reelscan_api.playback import playable
from reelscan_api.task_actions import TaskAction
from reelscan_shared.domain.artifacts import ArtifactEnvelope
from reelscan_shared.domain.clock import utcnow
from reelscan_shared.domain.search import LabelKind
from reelscan_shared.domain.tasks import Priority, Progress, Task, TaskStatus, TaskType
from reelscan_shared.domain.videos import TOP_LABELS, Video, VideoFindings, VideoOverview, VideoProgress, VideoStatus


class ErrorOut(BaseModel):
    detail: str


class ProgressOut(BaseModel):
    done_ms: int = Field(description="Where the part of the video analysed so far ends")
    total_ms: int | None = Field(description="The video's length, once the ML service has measured it")
    percent: float | None = Field(description="done_ms / total_ms, in %; null while total_ms is unknown")
    eta_s: float | None = Field(description="Seconds to finish, at the rate measured so far in this run")

    @classmethod
    def of(cls, p: Progress) -> ProgressOut:
        return cls(done_ms=p.done_ms, total_ms=p.total_ms, percent=p.percent, eta_s=p.eta_s)


class TaskOut(BaseModel):
    task_id: str
    video_id: str
    task_type: TaskType
    status: TaskStatus
    queue: str
    job_id: str
    attempts: int
    error: str | None
    config: dict[str, Any]
    created_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    running_time_ms: int | None
    progress: ProgressOut
    priority: Priority = Field(description="Its job's place in the queue: every high before normal, normal before low")
    model_profile: str | None = Field(description="The model its last completed run used")

    @classmethod
    def of(cls, t: Task) -> TaskOut:
        running = None
        if t.started_at is not None:
            running = int(((t.completed_at or utcnow()) - t.started_at).total_seconds() * 1000)
        return cls(task_id=t.task_id, video_id=t.video_id, task_type=t.task_type, status=t.status, queue=t.queue,
                   job_id=t.job_id, attempts=t.attempts, error=t.error, config=t.config, created_at=t.created_at,
                   started_at=t.started_at, completed_at=t.completed_at, running_time_ms=running,
                   progress=ProgressOut.of(t.progress), priority=t.priority, model_profile=t.model_profile)


class TaskListOut(BaseModel):
    items: list[TaskOut]
    total: int
    limit: int
    offset: int
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page; null on the last page")


class TaskActionOut(BaseModel):
    task: TaskOut
    enqueued: bool

    @classmethod
    def of(cls, action: TaskAction) -> TaskActionOut:
        return cls(task=TaskOut.of(action.task), enqueued=action.enqueued)


class VideoProgressOut(BaseModel):
    total: int = Field(description="The video's tasks (one per analysis)")
    completed: int
    running: int
    failed: int

    @classmethod
    def of(cls, p: VideoProgress) -> VideoProgressOut:
        return cls(total=p.total, completed=p.completed, running=p.running, failed=p.failed)


class LabelFoundOut(BaseModel):
    kind: LabelKind
    label: str


class VideoFindingsOut(BaseModel):
    top_labels: list[LabelFoundOut] = Field(description=f"Up to {TOP_LABELS} labels, the longest on screen first")
    face_seconds: float = Field(description="Seconds with a face on screen")
    words_read: int = Field(description="Words of on-screen text (each distinct text counted once)")
    scenes: int = Field(description="Scenes found (0 until scene detection has completed)")

    @classmethod
    def of(cls, f: VideoFindings) -> VideoFindingsOut:
        return cls(top_labels=[LabelFoundOut(kind=LabelKind(x.kind), label=x.label) for x in f.top_labels],
                   face_seconds=f.face_seconds, words_read=f.words_read, scenes=f.scenes)


class VideoOut(BaseModel):
    video_id: str
    path: str
    file_hash: str
    size_bytes: int
    duration_ms: int | None
    discovered_at: datetime
    status: VideoStatus = Field(description="present, or missing: none of its files exists any more")
    missing_since: datetime | None
    paths: list[str] | None = Field(None, description="Every file with this content (one video, analysed once); "
                                                      "`path` is the one analyses read. Only on GET /videos/{id}")
    task_counts: dict[TaskStatus, int] | None = None
    percent: float | None = Field(None, description="How much of the video's analysis is done: the mean over its "
                                                    "tasks (finished 100, pending 0, running as far as it got)")
    eta_s: float | None = Field(None, description="Seconds until its last running task finishes, at their rates")
    playable: bool = Field(description="Whether a browser can be expected to play GET /videos/{id}/media: an MP4, "
                                       "M4V, MOV or WebM file (H.264/VP8/VP9/AV1); not MKV or AVI "
                                       "(docs/web-api.md)")
    progress: VideoProgressOut | None = Field(None, description="Its tasks by state (GET /videos and /videos/{id})")
    findings: VideoFindingsOut | None = Field(None, description="What its analyses found, at a glance")

    @classmethod
    def of(cls, v: Video, counts: dict[TaskStatus, int] | None = None,
           tasks: list[Task] | None = None, overview: VideoOverview | None = None) -> VideoOut:
        percent = eta = None
        if tasks:
            percent = round(sum(_task_percent(t) for t in tasks) / len(tasks), 1)
            etas = [t.progress.eta_s for t in tasks if t.status is TaskStatus.RUNNING and t.progress.eta_s is not None]
            eta = max(etas) if etas else None
        return cls(video_id=v.video_id, path=v.path, file_hash=v.file_hash, size_bytes=v.size_bytes,
                   duration_ms=v.duration_ms, discovered_at=v.discovered_at, status=v.status,
                   missing_since=v.missing_since, paths=list(v.paths) if v.paths else None, task_counts=counts,
                   percent=percent, eta_s=eta, playable=playable(v.path),
                   progress=VideoProgressOut.of(overview.progress) if overview else None,
                   findings=VideoFindingsOut.of(overview.findings) if overview else None)


def _task_percent(t: Task) -> float:
    if t.status.is_terminal:
        return 100.0
    if t.status is TaskStatus.RUNNING:
        return t.progress.percent or 0.0
    return 0.0


class VideoListOut(BaseModel):
    items: list[VideoOut]
    total: int
    limit: int
    offset: int


class DiscoveredVideo(BaseModel):
    video_id: str
    path: str


class DiscoveryOut(BaseModel):
    found: int = Field(description="Video files under the available roots")
    created: list[DiscoveredVideo] = Field(description="New content: new videos, with their analyses queued")
    attached: list[DiscoveredVideo] = Field(description="Paths that joined a known video (moved, copied, come back): "
                                                        "nothing analysed again")
    new_versions: list[DiscoveredVideo] = Field(description="Known paths with new content: analysed again; the "
                                                            "previous results stay until the new ones replace them")
    missing: list[str] = Field(description="Videos none of whose files exists any more")
    returned: list[str] = Field(description="Missing videos whose content is back")
    purged: list[str] = Field(description="Videos missing for longer than MISSING_RETENTION_DAYS, deleted")
    still_writing: list[str] = Field(description="Files still changing: left for the next scan")
    errors: list[dict[str, str]]
    missing_roots: list[str] = Field(description="Roots that are absent, or empty while videos are known under "
                                                 "them (an unmounted disk): nothing under them is marked missing")


class ArtifactOut(BaseModel):
    artifact_id: str
    video_id: str
    task_id: str
    artifact_type: str
    schema_version: int
    span_start_ms: int
    span_end_ms: int
    payload: dict[str, Any]
    producer: str
    producer_version: str
    model_profile: str
    config_hash: str
    input_hash: str
    run_id: str
    created_at: datetime

    @classmethod
    def of(cls, a: ArtifactEnvelope) -> ArtifactOut:
        p = a.provenance
        return cls(artifact_id=a.artifact_id, video_id=a.video_id, task_id=a.task_id,
                   artifact_type=a.artifact_type, schema_version=a.schema_version,
                   span_start_ms=a.span_start_ms, span_end_ms=a.span_end_ms, payload=a.payload,
                   producer=p.producer, producer_version=p.producer_version, model_profile=p.model_profile,
                   config_hash=p.config_hash, input_hash=p.input_hash, run_id=p.run_id, created_at=a.created_at)


class ArtifactListOut(BaseModel):
    items: list[ArtifactOut]
    total: int
    limit: int
    offset: int


class SkippedFileOut(BaseModel):
    path: str = Field(description="As the OS names it; bytes that are not UTF-8 shown as \\xNN")
    error: str = Field(description="Why it was left out, e.g. symlink loop, not a regular file")


class SkippedFilesOut(BaseModel):
    count: int = Field(description="How many files the last scan left out")
    files: list[SkippedFileOut] = Field(description="The first 20 of them, by path")
    scanned_at: str = Field(description="When that scan ran (ISO 8601, UTC)")


class LibraryHealthOut(BaseModel):
    roots: dict[str, str] | None = Field(description="Per root: listed, empty, absent, or unavailable (empty while "
                                                     "videos are known under it); null if it could not be checked")
    unavailable_roots: list[str] | None = Field(description="Absent or unavailable roots: scans mark nothing under "
                                                            "them missing")
    skipped_files: SkippedFilesOut | None = Field(
        None, description="The files the last scan left out, each with its reason; null before the first scan")


class AnalysisHealthOut(BaseModel):
    runnable: bool | None = Field(description="Whether the ML service can run it now; null when the ML service "
                                              "did not answer")
    reason: str | None = Field(description="Why not: untrained (no trained weights; ALLOW_UNTRAINED is off) or "
                                           "missing (no weights at all)")
    detail: str | None = Field(description="Why not, and the command that fixes it")
    blocked_tasks: int | None = Field(description="Its tasks BLOCKED because it could not run (they run again by "
                                                  "themselves once it can); null when the database did not answer")
    blocked_reason: str | None = Field(description="The latest blocked task's error")


class HealthOut(BaseModel):
    status: str = Field(description="healthy, degraded (ML service, schema, a queue's workers, or tasks blocked "
                                    "because an analysis cannot run) or unhealthy")
    database: str
    schema_: str = Field(alias="schema", description="current, or how far behind the migrations are")
    valkey: str
    ml_service: str
    workers: dict[str, str] = Field(description="Per queue: active (an arq health-check key is fresh) or absent")
    queues: dict[str, dict[str, int | bool | None]] = Field(description="Per queue: depth, paused")
    paused_queues: list[str] = Field(description="Queues an operator paused (POST /queues/{name}/pause)")
    library: LibraryHealthOut
    analyses: dict[str, AnalysisHealthOut] = Field(description="Per analysis: whether it can run, why not, and its "
                                                               "blocked tasks")
    checked_at: str = Field(description="When the checks ran (reports are cached briefly)")


class ReadyOut(BaseModel):
    ready: bool
    database: str
    schema_: str = Field(alias="schema")
    valkey: str
