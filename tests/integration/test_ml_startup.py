"""Start-up of the ML service as a process: REQUIRE_GPU on a host without a GPU
must stop it with a message that says what to check. CUDA is hidden from the
child process, so the test means the same on a host that has a GPU."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def test_require_gpu_without_a_gpu_fails_start_up_clearly(tmp_path: Path) -> None:
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "REQUIRE_GPU": "true", "ML_PORT": "0",
           "MODEL_CACHE_DIR": str(tmp_path), "VIDEO_PATHS": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "reelscan_ml.cli"], env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode != 0
    events = [json.loads(line) for line in proc.stderr.splitlines() if line.startswith("{")]
    failure = next(e for e in events if e["event"] == "startup_failed")
    assert "REQUIRE_GPU=true" in failure["error"] and "no CUDA device" in failure["error"]
