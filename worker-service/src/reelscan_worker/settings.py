from __future__ import annotations

from typing import Literal

from pydantic import Field

from reelscan_shared.settings import StoreSettings

# arq's timeout for a whole job: a backstop only. A job runs every segment of a video,
# however long; ARQ_JOB_TIMEOUT bounds each segment, and a worker that dies is found by
# its lease (the reconciler), not by this timeout.
JOB_CEILING_S = 7 * 24 * 3600


class WorkerSettings(StoreSettings):
    gpu_mode: Literal["gpu", "cpu", "auto"] = Field(
        "auto", alias="GPU_MODE", description="gpu → gpu_jobs, cpu → cpu_jobs, auto asks nvidia-smi / the ML service"
    )
    max_jobs: int = Field(4, alias="ARQ_MAX_JOBS", description="concurrent jobs per worker", ge=1)
    job_timeout_s: int = Field(1800, alias="ARQ_JOB_TIMEOUT", ge=1, description="Bounds one segment's work")
    segment_s: float = Field(
        120.0,
        alias="SEGMENT_SECONDS",
        ge=1,
        le=3600,
        description="Length of video analysed per ML request (and stored before the next)",
    )
    max_tries: int = Field(3, alias="ARQ_MAX_TRIES", description="tries for transient failures", ge=1)
    keep_result_s: int = Field(3600, alias="ARQ_KEEP_RESULT", description="seconds arq keeps a job result", ge=1)
    ml_timeout_s: float = Field(
        600.0,
        alias="ML_TIMEOUT_SECONDS",
        description="HTTP timeout of one inference call (keep it above ML_REQUEST_TIMEOUT)",
        gt=0,
    )
    retry_base_delay_s: float = Field(
        2.0,
        alias="RETRY_BASE_DELAY_SECONDS",
        description="first delay before a failed task is retried; doubles each try (exponential backoff)",
        ge=0,
    )
    retry_max_delay_s: float = Field(
        60.0, alias="RETRY_MAX_DELAY_SECONDS", description="upper bound of the retry backoff delay", ge=0
    )
    shutdown_grace_s: int = Field(
        30, alias="WORKER_SHUTDOWN_GRACE", description="on SIGTERM, seconds running jobs get to finish", ge=0
    )
    lease_ttl_s: int = Field(30, alias="WORKER_LEASE_TTL", description="lease TTL (renewed every third of it)", ge=3)
    reconcile_interval_s: float = Field(
        300.0, alias="RECONCILE_INTERVAL", description="seconds between reconciler runs", gt=0
    )
    task_alert_after_s: float = Field(
        3600.0, alias="TASK_ALERT_AFTER", description="running longer than this logs an alert", gt=0
    )
    # arq sleeps this long between polls of the queue, and takes at most ARQ_MAX_JOBS
    # jobs per poll: with arq's default of 0.5 s a worker could never start more than
    # 2 x ARQ_MAX_JOBS jobs a second, however fast the jobs are.
    poll_delay_s: float = Field(
        0.05,
        alias="ARQ_POLL_DELAY",
        description=(
            "seconds between polls of the queue (arq takes at most ARQ_MAX_JOBS jobs per poll; "
            "arq's own 0.5 s default capped a worker at 16 jobs/s)"
        ),
        gt=0,
        le=10,
    )
    health_check_interval_s: int = Field(
        10, alias="WORKER_HEALTH_INTERVAL", description="how often a worker refreshes arq's health key", ge=1
    )
    keep_superseded: bool = Field(
        False,
        alias="KEEP_SUPERSEDED",
        description="Keep the results a re-run replaces (superseded_artifacts) instead of deleting them",
    )
    webhook_timeout_s: float = Field(
        10.0,
        alias="WEBHOOK_TIMEOUT_SECONDS",
        gt=0,
        description="Deadline for one whole webhook delivery (resolving, connecting, "
        "sending, reading the answer); a claimed delivery is leased for "
        "twice this plus 5 s, so a slow receiver never gets it twice",
    )
    webhook_give_up_hours: float = Field(
        24.0, alias="WEBHOOK_GIVE_UP_HOURS", gt=0, description="Retry a failing delivery this long after its event"
    )
    webhook_poll_s: float = Field(
        1.0, alias="WEBHOOK_POLL_SECONDS", gt=0, description="How often an idle dispatcher looks for due deliveries"
    )
    metrics_host: str = Field(
        "127.0.0.1",
        alias="WORKER_METRICS_HOST",
        description="0.0.0.0 where Prometheus scrapes from another host/container",
    )
    metrics_port: int = Field(
        9101,
        alias="WORKER_METRICS_PORT",
        ge=0,
        le=65535,
        description="Metrics-only HTTP listener (/metrics); 0 disables it",
    )

    @property
    def segment_ms(self) -> int:
        return int(self.segment_s * 1000)
