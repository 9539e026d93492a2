"""Fault injection on real processes with real PostgreSQL and Valkey.

Each scenario runs short videos through the whole pipeline, injects one fault,
and asserts every task still ends COMPLETED, with exactly one set of artifacts
per completed task. (Corrupt, truncated, zero-byte and non-video files among good
videos are covered by test_pipeline.py.)
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import redis as redis_sync
from helpers import assert_one_artifact_set_per_task, make_stack, wait_for_running, wait_until_finished
from stack import Stack

pytestmark = pytest.mark.faults

FAST_RECOVERY = {
    "RECONCILE_INTERVAL": "3", "WORKER_LEASE_TTL": "6", "ARQ_MAX_TRIES": "8", "RETRY_MAX_DELAY_SECONDS": "4",
    "WORKER_SHUTDOWN_GRACE": "5",
}


@pytest.fixture
def run_scenario(tmp_path: Path, sample_videos: dict[str, Path]) -> Iterator[Callable[..., tuple[Stack, list]]]:
    stacks: list[Stack] = []

    def run(inject: Callable[[Stack, httpx.Client], None], workers: dict[str, str] | None = None,
            **env: str) -> tuple[Stack, list[dict]]:
        videos = {"text": sample_videos["text"], "cuts": sample_videos["cuts"]}
        stack = make_stack(tmp_path, videos, **{**FAST_RECOVERY, **env})
        stacks.append(stack)
        stack.start(workers)
        stack.wait_ready()
        client = httpx.Client(base_url=stack.api_url, timeout=10)
        inject(stack, client)
        tasks = wait_until_finished(client, expected=6 * len(videos), timeout=240)
        assert all(t["status"] == "completed" for t in tasks), \
            [(t["task_type"], t["status"], t["attempts"], t["error"]) for t in tasks if t["status"] != "completed"]
        assert_one_artifact_set_per_task(client, tasks)
        return stack, tasks

    yield run
    for stack in stacks:
        stack.stop()


def test_sigkill_a_worker_mid_task(run_scenario) -> None:
    killed: dict = {}

    def inject(stack: Stack, client: httpx.Client) -> None:
        killed.update(wait_for_running(client, "ocr"))  # the slowest analysis: loads EasyOCR first
        stack.kill("worker-gpu")
        stack.services["worker-gpu"].start()  # a supervisor (make run, compose) restarts it

    _, tasks = run_scenario(inject)
    victim = next(t for t in tasks if t["task_id"] == killed["task_id"])
    assert victim["attempts"] >= 2, "the killed attempt was run again"


def test_kill_the_ml_service_mid_inference(run_scenario) -> None:
    def inject(stack: Stack, client: httpx.Client) -> None:
        wait_for_running(client)
        stack.kill("ml")
        time.sleep(1)
        stack.services["ml"].start()

    _, tasks = run_scenario(inject)
    assert any(t["attempts"] >= 2 for t in tasks), "the interrupted inference was retried"


def test_flushall_valkey_mid_run(run_scenario) -> None:
    def inject(stack: Stack, client: httpx.Client) -> None:
        wait_for_running(client)
        redis_sync.Redis.from_url(stack.redis_url).flushall()

    stack, _ = run_scenario(inject)
    logs = "".join(s.log_path.read_text() for n, s in stack.services.items() if n.startswith("worker"))
    assert '"reconcile_action"' in logs, "the reconciler rebuilt the lost queue entries"


def test_restart_postgresql_mid_run(run_scenario) -> None:
    def inject(stack: Stack, client: httpx.Client) -> None:
        wait_for_running(client)
        assert stack.postgres is not None
        stack.postgres.stop()
        time.sleep(2)
        stack.postgres.start()

    run_scenario(inject)


def test_two_workers_on_one_queue_never_run_a_task_twice(run_scenario) -> None:
    stack, tasks = run_scenario(lambda s, c: None,
                                workers={"worker-gpu": "gpu", "worker-gpu-2": "gpu", "worker-cpu": "cpu"})
    metrics = httpx.get(f"{stack.ml_url}/metrics").text
    calls = sum(float(n) for n in re.findall(r'^reelscan_inference_duration_seconds_count\{[^}]*\} (\S+)$',
                                             metrics, re.M))
    assert calls == len(tasks), "each task reached the ML service exactly once"
    assert all(t["attempts"] == 1 for t in tasks)


def test_sigterm_a_worker_mid_task_hands_back_what_it_cannot_finish(run_scenario) -> None:
    def inject(stack: Stack, client: httpx.Client) -> None:
        wait_for_running(client, "ocr")
        stack.services["worker-gpu"].stop(timeout=30)  # SIGTERM: grace, then cancel the rest
        stack.services["worker-gpu"].start()

    run_scenario(inject, WORKER_SHUTDOWN_GRACE="1")
