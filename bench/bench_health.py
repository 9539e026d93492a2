"""Health polling benchmark (`make bench-health`): GET /health at 50 requests per
second against the real stack, (1) while the pipeline processes videos and (2)
with Valkey stopped (its port then refuses connections). Also /ready and /live.

Prints p50/p99/max latency per phase and writes ${BENCH_OUT:-.bench}/health.json.
Goal (issue 5): p99 < 50 ms, and no request hangs.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "dev")]

import sample_videos as sv  # noqa: E402
from stack_runs import make_stack  # noqa: E402

OUT = Path(os.environ.get("BENCH_OUT", ".bench"))
RATE = 50
SECONDS = float(os.environ.get("BENCH_HEALTH_SECONDS", "20"))


def poll(url: str, seconds: float, rate: int = RATE) -> dict[str, object]:
    """``rate`` requests per second from one client (open loop, like a prober fleet)."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    lock = threading.Lock()

    def one(client: httpx.Client) -> None:
        nonlocal errors
        started = time.perf_counter()
        try:
            code = client.get(url).status_code
        except httpx.HTTPError:
            with lock:
                errors += 1
            return
        with lock:
            latencies.append((time.perf_counter() - started) * 1000)
            statuses[code] = statuses.get(code, 0) + 1

    with httpx.Client(timeout=10) as client:
        threads = []
        start = time.perf_counter()
        for i in range(int(seconds * rate)):
            time.sleep(max(0.0, start + i / rate - time.perf_counter()))
            t = threading.Thread(target=one, args=(client,))
            t.start()
            threads.append(t)
        for t in threads:
            t.join()
    ordered = sorted(latencies)
    return {"requests": len(threads), "errors": errors, "statuses": statuses,
            "p50_ms": round(statistics.median(ordered), 1), "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1], 1),
            "max_ms": round(ordered[-1], 1)}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    result: dict[str, object] = {"rate_per_s": RATE, "seconds_per_phase": SECONDS, "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        makers = [sv.speech_video, sv.text_video, sv.cuts_video, sv.face_video] * 2
        videos = {f"v{i}": make(root / "src" / f"v{i}.mp4") for i, make in enumerate(makers)}
        stack = make_stack(root / "run", videos)
        stack.start()
        try:
            stack.wait_ready()
            print("polling /health while the pipeline runs ...", flush=True)
            result["health_pipeline_running"] = poll(f"{stack.api_url}/health", SECONDS)
            result["ready_pipeline_running"] = poll(f"{stack.api_url}/ready", SECONDS / 4)
            result["live_pipeline_running"] = poll(f"{stack.api_url}/live", SECONDS / 4)
            print("stopping Valkey, polling again ...", flush=True)
            assert stack.valkey is not None
            stack.valkey.stop()
            result["health_valkey_stopped"] = poll(f"{stack.api_url}/health", SECONDS)
            result["ready_valkey_stopped"] = poll(f"{stack.api_url}/ready", SECONDS / 4)
        finally:
            stack.stop()
    (OUT / "health.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"\n{'phase':28} {'n':>5} {'errors':>6} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}  statuses")
    for phase, r in result.items():
        if isinstance(r, dict):
            print(f"{phase:28} {r['requests']:5d} {r['errors']:6d} {r['p50_ms']:7.1f} {r['p99_ms']:7.1f} "
                  f"{r['max_ms']:7.1f}  {r['statuses']}")
    print(f"saved {OUT / 'health.json'} (goal: p99 < 50 ms)")


if __name__ == "__main__":
    main()
