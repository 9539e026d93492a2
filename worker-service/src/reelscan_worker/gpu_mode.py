"""GPU_MODE -> queue. ``auto`` asks torch-free probes whether a GPU exists."""

from __future__ import annotations

import shutil
import subprocess

import httpx

from reelscan_shared.domain.queues import CPU_QUEUE, GPU_QUEUE


def nvidia_smi_sees_gpu() -> bool:
    exe = shutil.which("nvidia-smi")
    if not exe:
        return False
    try:
        out = subprocess.run([exe, "-L"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.returncode == 0 and "GPU" in out.stdout


def ml_service_has_gpu(ml_url: str) -> bool:
    try:
        health = httpx.get(f"{ml_url.rstrip('/')}/health", timeout=3).json()
    except (httpx.HTTPError, ValueError):
        return False
    return bool(health.get("device") == "cuda")


def queue_for(mode: str, ml_url: str) -> str:
    if mode == "gpu":
        return GPU_QUEUE
    if mode == "cpu":
        return CPU_QUEUE
    return GPU_QUEUE if nvidia_smi_sees_gpu() or ml_service_has_gpu(ml_url) else CPU_QUEUE
