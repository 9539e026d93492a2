"""End to end: the three services as processes (plus embedded PostgreSQL and
Valkey), generated videos dropped in a folder, everything over HTTP."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from helpers import make_stack, wait_until_finished
from stack import Stack

from reelscan_shared.analyses import PAYLOAD_SCHEMAS, validate_payload
from reelscan_shared.domain.artifacts import ArtifactType

pytestmark = pytest.mark.e2e
GOOD = ("speech.mp4", "text.mp4", "cuts.mp4", "face.mp4")
BAD = ("corrupt.mp4", "zero.mp4", "truncated.mp4", "notes.mkv")
ALL_ARTIFACT_TYPES = {t.value for t in ArtifactType}  # the sample videos yield every kind


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, sample_videos: dict[str, Path]) -> Iterator[Stack]:
    s = make_stack(tmp_path_factory.mktemp("e2e"), sample_videos, bad=True, LOG_LEVEL="INFO")
    s.start()
    try:
        s.wait_ready()
        yield s
    finally:
        s.stop()


def artifacts(client: httpx.Client, video_id: str, **params: object) -> list[dict]:
    body = client.get(f"/videos/{video_id}/artifacts", params={"limit": 500, **params}).json()
    assert body["total"] <= 500
    return body["items"]


def test_every_video_gets_six_analyses_and_bad_files_fail_alone(stack: Stack) -> None:
    client = httpx.Client(base_url=stack.api_url, timeout=10)
    tasks = wait_until_finished(client, expected=6 * (len(GOOD) + len(BAD)), timeout=420)
    videos = {Path(v["path"]).name: v for v in client.get("/videos").json()["items"]}
    assert set(videos) == set(GOOD) | set(BAD)

    by_video: dict[str, list[dict]] = {}
    for t in tasks:
        by_video.setdefault(t["video_id"], []).append(t)
    for name in GOOD:
        statuses = {t["task_type"]: (t["status"], t["error"]) for t in by_video[videos[name]["video_id"]]}
        assert all(s == "completed" for s, _ in statuses.values()), (name, statuses)
    for name in BAD:
        for t in by_video[videos[name]["video_id"]]:
            assert t["status"] == "failed", (name, t)
            assert name in t["error"], "the error names the file and says why"

    seen_types: set[str] = set()
    for name in GOOD:
        for a in artifacts(client, videos[name]["video_id"]):
            seen_types.add(a["artifact_type"])
            assert validate_payload(a["artifact_type"], a["payload"], a["schema_version"])
            # Frame analyses write spans (version 2) unless told "emit": "frames".
            assert a["schema_version"] == PAYLOAD_SCHEMAS[a["artifact_type"]][0], a
            for field in ("run_id", "config_hash", "input_hash", "producer", "producer_version", "model_profile"):
                assert a[field], (field, a)
    assert seen_types == ALL_ARTIFACT_TYPES

    text_id, cuts_id = videos["text.mp4"]["video_id"], videos["cuts.mp4"]["video_id"]
    # Engines box text differently (EasyOCR word by word, RapidOCR line by line): compare words.
    words = set(" ".join(a["payload"]["text"] for a in artifacts(client, text_id, artifact_type="ocr_text"))
                .upper().split())
    assert {"REELSCAN", "DEMO"} <= words, words
    scenes = artifacts(client, cuts_id, artifact_type="scene")
    assert [(s["span_start_ms"], s["span_end_ms"]) for s in scenes] == [(0, 2000), (2000, 4000), (4000, 6000)]
    transcript = " ".join(a["payload"]["text"] for a in
                          artifacts(client, videos["speech.mp4"]["video_id"], artifact_type="transcript_segment"))
    assert "transcription" in transcript.lower(), transcript
    # One still face for 4 s, sampled at 0 and 3 s: one track.
    [face] = artifacts(client, videos["face.mp4"]["video_id"], artifact_type="face_detection")
    assert face["payload"]["best_confidence"] > 0.5 and len(face["payload"]["sightings"]) == 2
    window = artifacts(client, cuts_id, artifact_type="scene", from_ms=2500, to_ms=3000)
    assert [s["payload"]["scene_index"] for s in window] == [1]

    # Healthy once the work is done. Polled: on a busy machine one check of the ML service
    # or of a worker's heartbeat can miss its HEALTH_TIMEOUT and say "degraded" for a moment.
    deadline = time.monotonic() + 120
    while (health := client.get("/health").json())["status"] != "healthy" and time.monotonic() < deadline:
        time.sleep(1)
    assert health["status"] == "healthy", health


def json_events(stack: Stack, service: str) -> list[dict]:
    """Every JSON line of a service's log (library warnings printed raw are skipped)."""
    lines = (stack.data_dir / "logs" / f"{service}.log").read_text().splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")]


def series(metrics: str, name: str, **labels: str) -> float:
    """Sum of the samples of ``name`` whose labels include ``labels``."""
    total, found = 0.0, False
    for line in metrics.splitlines():
        match = re.match(rf"^{name}(?:\{{(.*)\}})? (\S+)$", line)
        if match and all(f'{k}="{v}"' in (match.group(1) or "") for k, v in labels.items()):
            total, found = total + float(match.group(2)), True
    assert found, f"no series {name}{labels}"
    return total


def test_logs_are_json_lines_with_the_ids(stack: Stack) -> None:
    worker = json_events(stack, "worker-gpu") + json_events(stack, "worker-cpu")
    completed = [e for e in worker if e["event"] == "job_completed"]
    assert completed, "the pipeline test completed jobs"
    for event in completed:
        assert {"task_id", "job_id", "video_id", "request_id", "artifact_count", "duration_s"} <= set(event), event
        assert event["service"] == "worker" and event["level"] == "info" and event["timestamp"]
    failed = [e for e in worker if e["event"] == "job_failed"]
    assert failed and all(e["error"] and e["task_id"] for e in failed)
    assert any(e["event"] == "job_consumed" for e in worker)
    enqueued = [e for e in json_events(stack, "api") if e["event"] == "job_enqueued"]
    assert {e["job_id"] for e in completed} <= {e["job_id"] for e in enqueued}
    assert all(e["task_id"] and e["video_id"] and e["queue"] in ("gpu_jobs", "cpu_jobs") for e in enqueued)
    ml = json_events(stack, "ml")
    inferred = {e["request_id"] for e in ml if e["event"] == "inference_done"}
    assert {e["request_id"] for e in completed} <= inferred, "the worker's request id reaches the ML service"
    assert any(e["event"] == "model_loaded" and e["device"] == "cpu" and "seconds" in e for e in ml)
    for service in ("api", "worker-gpu", "ml"):
        start = next(e for e in json_events(stack, service) if e["event"] == "service_start")
        assert start["config"]["log_level"] == "INFO" and "video_paths" in start["config"], start


def test_the_three_metrics_endpoints(stack: Stack) -> None:
    api = httpx.get(f"{stack.api_url}/metrics").text
    assert series(api, "reelscan_tasks", status="completed") >= 4 * 6
    assert series(api, "reelscan_http_requests_total", route="/tasks", status="200") > 0
    assert series(api, "reelscan_queue_depth", queue="gpu_jobs") >= 0
    workers = [httpx.get(f"http://127.0.0.1:{port}/metrics").text for port in stack.worker_metrics_ports.values()]
    assert sum(series(w, "reelscan_jobs_total", outcome="completed") for w in workers) >= 4 * 6
    assert sum(series(w, "reelscan_task_duration_seconds_count") for w in workers) > 0
    assert all(series(w, "reelscan_jobs_in_progress") >= 0 for w in workers)
    ml = httpx.get(f"{stack.ml_url}/metrics").text
    assert series(ml, "reelscan_inference_phase_seconds_count", phase="model") > 0
    assert series(ml, "reelscan_inference_phase_seconds_count", phase="decode") > 0
    assert series(ml, "reelscan_ml_models_loaded") >= 1
    assert series(ml, "process_resident_memory_bytes") > 100 * 2**20


def test_retry_really_runs_a_failed_task_again(stack: Stack) -> None:
    client = httpx.Client(base_url=stack.api_url, timeout=10)
    failed = client.get("/tasks", params={"status": "failed", "task_type": "scene_detection", "limit": 1}).json()
    task = failed["items"][0]
    retried = client.post(f"/tasks/{task['task_id']}/retry").json()
    assert retried["task"]["status"] == "pending" and retried["enqueued"] is True
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        now = client.get(f"/tasks/{task['task_id']}").json()
        if now["status"] == "failed" and now["attempts"] > task["attempts"]:
            break
        time.sleep(0.5)
    else:
        raise AssertionError(f"retried task did not run again: {now}")


def test_cancel_stops_a_task_and_it_stays_cancelled(stack: Stack) -> None:
    client = httpx.Client(base_url=stack.api_url, timeout=10)
    done = client.get("/tasks", params={"status": "completed", "limit": 1}).json()["items"][0]
    assert client.post(f"/tasks/{done['task_id']}/cancel").status_code == 409
    failed = client.get("/tasks", params={"status": "failed", "task_type": "ocr", "limit": 1}).json()["items"][0]
    client.post(f"/tasks/{failed['task_id']}/retry")
    cancelled = client.post(f"/tasks/{failed['task_id']}/cancel")
    if cancelled.status_code == 409:  # the worker was faster and the task already failed again
        assert client.get(f"/tasks/{failed['task_id']}").json()["status"] == "failed"
        return
    time.sleep(3)
    final = client.get(f"/tasks/{failed['task_id']}").json()
    assert final["status"] == "cancelled"


def test_stop_leaves_no_process_behind(tmp_path: Path) -> None:
    # A stack of its own: stopping the module's would end the tests that run after it.
    own = make_stack(tmp_path, {}, LOG_LEVEL="WARNING")
    own.start()
    try:
        own.wait_ready()
        procs = [s.proc for s in own.services.values()]
        procs += [own.postgres.proc, own.valkey.proc]  # type: ignore[union-attr]
        assert all(p is not None and p.poll() is None for p in procs)  # all running
    finally:
        own.stop()
    assert all(p is not None and p.poll() is not None for p in procs)
