"""Which device inference runs on, and what /health says about it.

The torch calls here are cheap (no synchronisation), so /health calls them
inline on the event loop.
"""

from __future__ import annotations

import resource
from typing import Any

from reelscan_shared.logging import get_logger

log = get_logger(__name__)


class GpuRequired(RuntimeError):
    pass


_torch_threads = 0


def set_torch_threads(requested: int) -> int:
    """Decide the torch thread count once, at start-up: TORCH_THREADS, else torch's own
    default (one per physical core) read before any model library has changed it."""
    import torch

    global _torch_threads
    _torch_threads = requested or torch.get_num_threads()
    torch.set_num_threads(_torch_threads)
    return _torch_threads


def torch_threads() -> int:
    """The thread count decided at start-up (0 where nothing decided it: torch's default)."""
    return _torch_threads


def pin_torch_threads() -> None:
    """Re-apply the thread count in the calling thread before a model runs.

    Libraries change it behind our back, process- or thread-wide: ultralytics'
    select_device() sets cpu_count - 1, CTranslate2 (faster-whisper) leaves OpenMP at
    1 after loading. On 2 cores either halves the speed of every torch model.
    """
    if not _torch_threads:
        return
    import torch

    if torch.get_num_threads() != _torch_threads:
        torch.set_num_threads(_torch_threads)


def choose_device(requested: str, require_gpu: bool) -> str:
    """``cuda`` or ``cpu``; logs what torch sees. Fails start-up when a GPU is
    required (REQUIRE_GPU or ML_DEVICE=cuda) and none is usable."""
    import torch

    has_cuda = torch.cuda.is_available()
    if has_cuda:
        gpus = [{"index": i, "name": torch.cuda.get_device_name(i),
                 "memory_total_mb": torch.cuda.get_device_properties(i).total_memory // 2**20}
                for i in range(torch.cuda.device_count())]
        log.info("gpu_detected", device_count=len(gpus), gpus=gpus, torch=torch.__version__,
                 cuda=torch.version.cuda)
    if (require_gpu or requested == "cuda") and not has_cuda:
        setting = "REQUIRE_GPU=true" if require_gpu else "ML_DEVICE=cuda"
        raise GpuRequired(
            f"{setting} but torch sees no CUDA device (torch {torch.__version__}, built for CUDA "
            f"{torch.version.cuda or 'none'}): check the NVIDIA driver, the container's GPU reservation "
            "and that a CUDA build of torch is installed; or unset it to run on CPU")
    if requested == "cpu" or not has_cuda:
        if not has_cuda:
            log.warning("running_on_cpu", reason="torch sees no CUDA device; inference will be slow")
        return "cpu"
    return "cuda"


def memory(device: str) -> dict[str, Any]:
    """GPU memory (allocated, reserved, total) on CUDA; always the process's RSS."""
    info: dict[str, Any] = process_memory()
    if device == "cuda":
        import torch

        index = torch.cuda.current_device()
        info["gpu"] = {
            "name": torch.cuda.get_device_name(index),
            "allocated_mb": torch.cuda.memory_allocated(index) // 2**20,
            "reserved_mb": torch.cuda.memory_reserved(index) // 2**20,
            "total_mb": torch.cuda.get_device_properties(index).total_memory // 2**20,
        }
    return info


def process_memory() -> dict[str, int]:
    """Resident memory of this process (models live here), from /proc where available."""
    info = {"rss_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}
    try:
        with open("/proc/self/statm") as fh:
            info["rss_mb"] = int(fh.read().split()[1]) * resource.getpagesize() // 2**20
    except OSError:
        pass
    return info


def refresh_gpu_metrics() -> None:
    """GPU utilisation and memory from NVML, for /metrics; nothing where no NVIDIA GPU is."""
    from reelscan_shared.metrics import GPU_MEMORY_TOTAL, GPU_MEMORY_USED, GPU_UTILIZATION

    try:
        import pynvml

        pynvml.nvmlInit()
    except Exception:  # noqa: BLE001 - no driver, no library: no GPU series
        return
    try:
        for index in range(pynvml.nvmlDeviceGetCount()):
            handle = pynvml.nvmlDeviceGetHandleByIndex(index)
            memory = pynvml.nvmlDeviceGetMemoryInfo(handle)
            GPU_UTILIZATION.labels(str(index)).set(pynvml.nvmlDeviceGetUtilizationRates(handle).gpu / 100)
            GPU_MEMORY_USED.labels(str(index)).set(memory.used)
            GPU_MEMORY_TOTAL.labels(str(index)).set(memory.total)
    finally:
        pynvml.nvmlShutdown()
