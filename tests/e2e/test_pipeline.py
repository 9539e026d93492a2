"""End to end: the three services as processes (plus embedded PostgreSQL and
Valkey), generated videos dropped in a folder, everything over HTTP."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from helpers import make_stack, wait_until_finished
from stack import Stack

from reelscan_shared.schemas.payloads import validate_payload

pytestmark = pytest.mark.e2e
GOOD = ("speech.mp4", "text.mp4", "cuts.mp4", "face.mp4")
BAD = ("corrupt.mp4", "zero.mp4", "truncated.mp4", "notes.mkv")
ALL_ARTIFACT_TYPES = {"object_detection", "face_detection", "transcript_segment", "ocr_text",
                      "place_classification", "scene"}


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
            assert validate_payload(a["artifact_type"], a["payload"])[0] == a["schema_version"]
            for field in ("run_id", "config_hash", "input_hash", "producer", "producer_version", "model_profile"):
                assert a[field], (field, a)
    assert seen_types == ALL_ARTIFACT_TYPES

    text_id, cuts_id = videos["text.mp4"]["video_id"], videos["cuts.mp4"]["video_id"]
    words = {a["payload"]["text"].upper() for a in artifacts(client, text_id, artifact_type="ocr_text")}
    assert {"REELSCAN", "DEMO"} <= words, words
    scenes = artifacts(client, cuts_id, artifact_type="scene")
    assert [(s["span_start_ms"], s["span_end_ms"]) for s in scenes] == [(0, 2000), (2000, 4000), (4000, 6000)]
    transcript = " ".join(a["payload"]["text"] for a in
                          artifacts(client, videos["speech.mp4"]["video_id"], artifact_type="transcript_segment"))
    assert "transcription" in transcript.lower(), transcript
    faces = artifacts(client, videos["face.mp4"]["video_id"], artifact_type="face_detection")
    assert faces and all(f["payload"]["confidence"] > 0.5 for f in faces)
    window = artifacts(client, cuts_id, artifact_type="scene", from_ms=2500, to_ms=3000)
    assert [s["payload"]["scene_index"] for s in window] == [1]

    health = client.get("/health").json()
    assert health["status"] == "healthy", health


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


def test_stop_leaves_no_process_behind(stack: Stack) -> None:
    procs = [s.proc for s in stack.services.values()]
    procs += [stack.postgres.proc, stack.valkey.proc]  # type: ignore[union-attr]
    stack.stop()
    assert all(p is not None and p.poll() is not None for p in procs)
