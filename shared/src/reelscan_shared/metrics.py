"""Prometheus metrics shared across services (prometheus-client)."""

from prometheus_client import Counter, Gauge, Histogram

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
INFERENCE_REJECTED = Counter(
    "reelscan_inference_rejected_total", "Inference requests refused: overloaded (503) or timed out (504)",
    ["reason"],
)
GPU_SLOTS_IN_USE = Gauge("reelscan_gpu_slots_in_use", "Inference slots held under the GPU semaphore")
VIDEOS_DISCOVERED = Counter("reelscan_videos_discovered_total", "Videos registered by discovery")
LONG_RUNNING_TASKS = Counter(
    "reelscan_long_running_task_alerts_total", "Alerts for tasks running past TASK_ALERT_AFTER",
)
