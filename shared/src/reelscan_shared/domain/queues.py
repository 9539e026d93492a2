"""The two job queues: analyses that want a GPU, and those that run on CPU alone."""

from __future__ import annotations

GPU_QUEUE = "gpu_jobs"
CPU_QUEUE = "cpu_jobs"
QUEUES = (GPU_QUEUE, CPU_QUEUE)
