"""MODEL_AUTO_PULL on a real ML service process over HTTP, with a local server as the
weights source (MODEL_MIRROR_URL): missing weights are fetched in the background at
start-up (never blocking /health), land in MODEL_CACHE_DIR with their checksum in the
manifest, and the analysis turns runnable; an unreachable source is reported per
analysis with the command that gets the weights; MODEL_AUTO_PULL=false fetches nothing."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_processes import REPO, wait_until_answers
from embedded_servers import free_port
from weights_server import WeightsServer

YOLO = "yolo11n.pt"  # OBJECTS_MODEL=yolo11n's file: small, and a real checkpoint can be made offline


@contextmanager
def running_ml(tmp_path: Path, **env: str) -> Iterator[tuple[str, Path]]:
    """The ML service as a process; yields its URL (once /health answers) and its log file."""
    port, log = free_port(), tmp_path / "ml.log"
    (tmp_path / "library").mkdir(exist_ok=True)
    environ = {**os.environ, "ML_PORT": str(port), "VIDEO_PATHS": str(tmp_path / "library"),
               "MODEL_CACHE_DIR": str(tmp_path / "models"), "OBJECTS_MODEL": "yolo11n",
               "PLACES_MODEL": "resnet18-places365", "ALLOW_UNTRAINED": "false", "MODEL_AUTO_PULL": "true",
               # Longer than any test: the service must notice the fetched weights by itself.
               "WEIGHTS_CHECK_SECONDS": "3600", "LOG_FORMAT": "json", "LOG_LEVEL": "INFO", **env}
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "reelscan_ml.cli"], env=environ, cwd=REPO, stdout=out,
                                stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_answers(f"{url}/health", proc, timeout_s=120)
            yield url, log
        finally:
            proc.terminate()
            proc.wait(20)


def events(log: Path, name: str) -> list[dict[str, Any]]:
    lines = (json.loads(line) for line in log.read_text().splitlines() if line.startswith("{"))
    return [e for e in lines if e.get("event") == name]


def analysis(url: str, name: str) -> dict[str, Any]:
    return httpx.get(f"{url}/health", timeout=5).json()["analyses"][name]


def wait_for(check: Callable[[], bool], timeout_s: float = 300) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.1)


@pytest.fixture
def source(tmp_path: Path) -> Iterator[WeightsServer]:
    """A slow mirror holding a real yolo11n checkpoint (of the untrained network). Built in
    a child process: importing ultralytics here changes torch's state for later tests
    (test_openai_whisper's untrained checkpoint then decodes to NaN)."""
    server = WeightsServer(tmp_path / "mirror", chunk_delay_s=0.04)
    subprocess.run([sys.executable, "-c", "import sys; from ultralytics import YOLO; "
                    "YOLO('yolo11n.yaml').save(sys.argv[1])", str(server.root / YOLO)],
                   check=True, capture_output=True, timeout=300, cwd=tmp_path)
    yield server
    server.close()


def test_missing_weights_are_fetched_in_the_background_and_the_analysis_runs(
        tmp_path: Path, source: WeightsServer) -> None:
    data = (source.root / YOLO).read_bytes()
    with running_ml(tmp_path, MODEL_MIRROR_URL=source.url) as (url, log):
        # Start-up did not wait: /health answers while the weights are on their way.
        started = time.monotonic()
        state = analysis(url, "object_detection")
        assert time.monotonic() - started < 2
        assert state["runnable"] is False and state["fetch"]["state"] in ("waiting", "fetching"), state
        assert state["fetch"]["source"] == f"{source.url}/{YOLO}"
        assert "fetching its weights from" in state["detail"] or "fetched from" in state["detail"]
        assert analysis(url, "scene_detection")["runnable"] is True

        wait_for(lambda: analysis(url, "object_detection")["runnable"])
        state = analysis(url, "object_detection")
        assert state["weights"] == "trained" and state["detail"] is None
        assert state["fetch"] | {"file": None} == {
            "state": "done", "source": f"{source.url}/{YOLO}", "file": None, "done_bytes": len(data),
            "total_bytes": len(data), "error": None, "command": None, "retry_at": None}
        cache = tmp_path / "models"
        assert hashlib.sha256((cache / YOLO).read_bytes()).hexdigest() == hashlib.sha256(data).hexdigest()
        manifest = json.loads((cache / "manifest.json").read_text())
        assert manifest[YOLO]["sha256"] == hashlib.sha256(data).hexdigest()
        assert manifest[YOLO]["url"] == f"{source.url}/{YOLO}" and not list(cache.glob("*.partial"))

        # The mirror has no Places weights: that fetch fails, says so and when it is tried
        # again (MODEL_FETCH_RETRY_SECONDS: an hour, so not within this test).
        wait_for(lambda: analysis(url, "place_detection")["fetch"]["retry_at"] is not None)
        places = analysis(url, "place_detection")
        assert places["fetch"]["state"] == "failed"
        assert places["fetch"]["command"] == "reelscan-ml models pull place_detection"
        assert "404" in places["fetch"]["error"] and "failed" in places["detail"]
        assert f"tried again at {places['fetch']['retry_at'][:10]}" in places["detail"]
        time.sleep(0.5)
        assert sorted(s.path for s in source.sent) == ["resnet18_places365.pth.tar", YOLO]

    [fetching, _] = events(log, "weights_fetching")
    assert fetching["analysis"] == "object_detection" and fetching["source"] == f"{source.url}/{YOLO}"
    progress = [e for e in events(log, "weights_fetch_progress") if e["analysis"] == "object_detection"]
    assert 2 <= len(progress) <= 11 and progress[-1]["percent"] == 100, progress
    assert [e["analysis"] for e in events(log, "weights_fetched")] == ["object_detection"]


def test_an_unreachable_source_is_reported_with_the_command_and_the_service_runs_on(tmp_path: Path) -> None:
    started = time.monotonic()
    with running_ml(tmp_path, MODEL_MIRROR_URL=f"http://127.0.0.1:{free_port()}") as (url, log):
        wait_for(lambda: all(analysis(url, a)["fetch"]["state"] == "failed"
                             for a in ("object_detection", "place_detection")))
        assert time.monotonic() - started < 60
        for name in ("object_detection", "place_detection"):
            state = analysis(url, name)
            assert state["runnable"] is False and state["fetch"]["command"] == f"reelscan-ml models pull {name}"
            assert "ConnectError" in state["fetch"]["error"]
            assert f"run `reelscan-ml models pull {name}`" in state["detail"] and "failed" in state["detail"]
        health = httpx.get(f"{url}/health", timeout=5).json()
        assert health["status"] == "ok" and health["analyses"]["scene_detection"]["runnable"] is True
        assert health["analyses"]["face_detection"]["fetch"] is None, "trained weights from a package: no fetch"
        assert httpx.get(f"{url}/ready", timeout=5).status_code == 200
    failed = {e["analysis"]: e for e in events(log, "weights_fetch_failed")}
    assert set(failed) == {"object_detection", "place_detection"}
    assert failed["object_detection"]["command"] == "reelscan-ml models pull object_detection"
    assert "ConnectError" in failed["object_detection"]["reason"]
    not_runnable = {e["analysis"]: e for e in events(log, "analysis_not_runnable")}
    assert set(not_runnable) == {"object_detection", "place_detection"}
    assert all(e["fetching"] and "models pull" in e["detail"] for e in not_runnable.values())


def test_a_failed_fetch_is_tried_again_later_and_then_succeeds(tmp_path: Path) -> None:
    """A source that has not the file yet (a host whose network comes later, a mirror
    being filled): the fetch fails, is tried again after MODEL_FETCH_RETRY_SECONDS,
    then after twice as long, and the analysis runs once the file is there."""
    server = WeightsServer(tmp_path / "mirror")
    staged = tmp_path / "staging" / YOLO
    staged.parent.mkdir()
    subprocess.run([sys.executable, "-c", "import sys; from ultralytics import YOLO; "
                    "YOLO('yolo11n.yaml').save(sys.argv[1])", str(staged)],
                   check=True, capture_output=True, timeout=300, cwd=tmp_path)
    try:
        with running_ml(tmp_path, MODEL_MIRROR_URL=server.url, MODEL_FETCH_RETRY_SECONDS="1") as (url, log):
            wait_for(lambda: len([s for s in server.sent if s.path == YOLO]) >= 3)  # failed, tried twice more
            assert analysis(url, "object_detection")["runnable"] is False
            staged.rename(server.root / YOLO)  # the mirror's file appears, whole
            wait_for(lambda: analysis(url, "object_detection")["runnable"])
            assert analysis(url, "object_detection")["fetch"]["state"] == "done"
        scheduled = [e["in_s"] for e in events(log, "weights_fetch_retry_scheduled")
                     if "object_detection" in e["analyses"]]
        assert scheduled[:2] == [1.0, 2.0]  # then twice as long each time
        tries = [s.status for s in server.sent if s.path == YOLO]
        assert tries[-1] == 200 and set(tries[:-1]) == {404} and len(tries) >= 4
        assert [e["analysis"] for e in events(log, "weights_fetched")] == ["object_detection"]
    finally:
        server.close()


def test_auto_pull_off_fetches_nothing(tmp_path: Path) -> None:
    server = WeightsServer(tmp_path / "mirror")
    (server.root / YOLO).write_bytes(b"weights")
    try:
        with running_ml(tmp_path, MODEL_MIRROR_URL=server.url, MODEL_AUTO_PULL="false") as (url, log):
            time.sleep(1)
            state = analysis(url, "object_detection")
            assert state["fetch"] is None and state["runnable"] is False
            assert "reelscan-ml models pull object_detection" in state["detail"]
        assert server.sent == [] and not (tmp_path / "models" / YOLO).exists()
        assert events(log, "weights_fetching") == []
        assert not any(e["fetching"] for e in events(log, "analysis_not_runnable"))
    finally:
        server.close()
