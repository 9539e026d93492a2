"""Reelscan ml-service: stateless inference behind a GPU semaphore."""

__version__ = "0.1.0"

import os as _os

# Before torch (and its OpenMP runtime) loads: idle OpenMP threads sleep instead of
# spinning, so on a CPU-only host they leave the cores to the decode thread between
# model steps (60 s of 720p at 1 fps on 2 cores: endpoint 2.7-3.0 s -> 2.6 s).
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
