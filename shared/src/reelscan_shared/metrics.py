"""Prometheus metrics of the three services (prometheus-client).

Names follow Prometheus conventions (``reelscan_…_seconds``, ``…_total``); every label
has a bounded set of values (task types, statuses, queues, route templates; the task
ids of the tasks a worker runs now).
"""

import os

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, multiprocess

TASKS_FINISHED = Counter(
    "reelscan_tasks_finished_total", "Tasks that reached a final state in this process",
    ["task_type", "status"],
)
TASK_DURATION = Histogram(
    "reelscan_task_duration_seconds", "Wall time of one task attempt in the worker", ["task_type"],
    buckets=(0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800),
)
INFERENCE_DURATION = Histogram(
    "reelscan_inference_duration_seconds", "Model execution time in the ML service", ["analysis"],
    buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
)
INFERENCE_PHASE = Histogram(
    "reelscan_inference_phase_seconds",
    "Time one inference request spent per phase: wait (for the GPU semaphore), decode, model",
    ["analysis", "phase"], buckets=(0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
INFERENCE_FRAMES = Counter(
    "reelscan_inference_frames_total",
    "Sampled frames by what became of them: read by the model, or reused (unchanged since the last frame read)",
    ["analysis", "outcome"],
)
INFERENCE_REJECTED = Counter(
    "reelscan_inference_rejected_total", "Inference requests refused: overloaded (503) or timed out (504)",
    ["reason"],
)
GPU_SLOTS_IN_USE = Gauge("reelscan_gpu_slots_in_use", "Inference slots held under the GPU semaphore")
VIDEOS_DISCOVERED = Counter("reelscan_videos_discovered_total", "Videos registered by discovery")
LONG_RUNNING_TASKS = Counter(
    "reelscan_long_running_task_alerts_total", "Alerts for tasks running past TASK_ALERT_AFTER",
)

# api-service
HTTP_REQUESTS = Counter(
    "reelscan_http_requests_total", "HTTP requests served", ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "reelscan_http_request_duration_seconds", "HTTP request latency", ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
# Read from the database / Valkey by whichever API process answers /metrics: with
# several processes (API_WORKERS) the most recent reading is the true one.
TASKS_BY_STATUS = Gauge("reelscan_tasks", "Tasks in the database by type and status", ["task_type", "status"],
                        multiprocess_mode="mostrecent")
QUEUE_DEPTH = Gauge("reelscan_queue_depth", "Jobs waiting in each Valkey queue", ["queue"],
                    multiprocess_mode="mostrecent")

# worker-service
JOBS = Counter(
    "reelscan_jobs_total", "Jobs a worker handled, by outcome "
    "(completed, failed, retried, cancelled, requeued, skipped)", ["task_type", "outcome"],
)
JOBS_IN_PROGRESS = Gauge("reelscan_jobs_in_progress", "Jobs this worker is running now")
SEGMENTS = Counter("reelscan_segments_total", "Segments of videos analysed and stored", ["task_type"])
# Per running task (a worker runs at most ARQ_MAX_JOBS): the label goes when the job ends.
TASK_PROGRESS = Gauge("reelscan_task_progress_ratio", "How far a running task has got through its video (0-1)",
                      ["task_id", "task_type"])
TASK_ETA = Gauge("reelscan_task_eta_seconds", "Time a running task needs to finish, at its measured rate",
                 ["task_id", "task_type"])
RECONCILER_ACTIONS = Counter("reelscan_reconciler_actions_total", "Repairs made by the reconciler", ["action"])

# ml-service
MODELS_LOADED = Gauge("reelscan_ml_models_loaded", "1 when the analysis's model is loaded", ["analysis"])
GPU_UTILIZATION = Gauge("reelscan_gpu_utilization_ratio", "GPU busy fraction (NVML)", ["gpu"])
GPU_MEMORY_USED = Gauge("reelscan_gpu_memory_used_bytes", "GPU memory in use (NVML)", ["gpu"])
GPU_MEMORY_TOTAL = Gauge("reelscan_gpu_memory_total_bytes", "GPU memory (NVML)", ["gpu"])


def metrics_registry() -> CollectorRegistry:
    """What /metrics exposes: this process's metrics or, when PROMETHEUS_MULTIPROC_DIR is
    set (the API runs several processes), those of all of them merged."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry
