"""Which device inference runs on, and what /health says about the GPU."""

from __future__ import annotations

from typing import Any


def gpu_info() -> dict[str, Any]:
    import torch

    if not torch.cuda.is_available():
        return {"available": False, "device_count": 0}
    index = torch.cuda.current_device()
    free, total = torch.cuda.mem_get_info(index)
    return {
        "available": True,
        "device_count": torch.cuda.device_count(),
        "name": torch.cuda.get_device_name(index),
        "memory_total_mb": total // 2**20,
        "memory_free_mb": free // 2**20,
        "memory_allocated_mb": torch.cuda.memory_allocated(index) // 2**20,
    }


def process_memory() -> dict[str, int]:
    """Resident memory of this process (models live here), from /proc where available."""
    import resource

    info = {"rss_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}
    try:
        with open("/proc/self/statm") as fh:
            info["rss_mb"] = int(fh.read().split()[1]) * resource.getpagesize() // 2**20
    except OSError:
        pass
    return info


def choose_device(requested: str, require_gpu: bool) -> str:
    import torch

    has_cuda = torch.cuda.is_available()
    if require_gpu and not has_cuda:
        raise RuntimeError("REQUIRE_GPU is set but torch sees no CUDA device")
    if requested == "cuda" and not has_cuda:
        raise RuntimeError("ML_DEVICE=cuda but torch sees no CUDA device")
    if requested == "auto":
        return "cuda" if has_cuda else "cpu"
    return requested
