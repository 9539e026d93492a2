"""Pipeline throughput benchmark: N generated videos through the whole stack.

Prints wall time to process every task, tasks/minute, and the ML service's mean
inference time per analysis, and saves them to bench/results/pipeline-<ts>.json.
Not part of `make test`; run with `make bench` (BENCH_VIDEOS=8 by default).
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "dev")]

import sample_videos as sv  # noqa: E402
from stack_runs import make_stack, wait_until_finished  # noqa: E402


def inference_means(metrics: str) -> dict[str, float]:
    sums = dict(re.findall(r'^reelscan_inference_duration_seconds_sum\{analysis="(\w+)"\} (\S+)$', metrics, re.M))
    counts = dict(re.findall(r'^reelscan_inference_duration_seconds_count\{analysis="(\w+)"\} (\S+)$', metrics, re.M))
    return {a: round(float(sums[a]) / float(counts[a]), 3) for a in sums if float(counts.get(a, 0))}


def main() -> None:
    n = int(os.environ.get("BENCH_VIDEOS", "8"))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        makers = [sv.speech_video, sv.text_video, sv.cuts_video, sv.face_video]
        videos = {f"v{i}": makers[i % len(makers)](root / "src" / f"v{i}.mp4") for i in range(n)}
        stack = make_stack(root / "run", videos)
        stack.start()
        try:
            stack.wait_ready()
            t0 = time.monotonic()
            client = httpx.Client(base_url=stack.api_url, timeout=10)
            tasks = wait_until_finished(client, expected=6 * n, timeout=1800)
            wall = time.monotonic() - t0
            metrics = httpx.get(f"{stack.ml_url}/metrics").text
        finally:
            stack.stop()
    result = {
        "videos": n, "tasks": len(tasks), "completed": sum(t["status"] == "completed" for t in tasks),
        "wall_s": round(wall, 2), "tasks_per_min": round(len(tasks) / wall * 60, 1),
        "mean_inference_s": inference_means(metrics), "cpus": os.cpu_count(),
    }
    print(json.dumps(result, indent=2))
    out = REPO / "bench" / "results" / f"pipeline-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"saved {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
