"""`make run`'s launcher: starts everything, and SIGTERM leaves no process behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import psutil
import pytest
from embedded_servers import free_port

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]


def test_launcher_starts_the_stack_and_sigterm_stops_every_process(tmp_path: Path,
                                                                  sample_videos: dict[str, Path]) -> None:
    videos = tmp_path / "videos"
    videos.mkdir()
    (videos / "cuts.mp4").write_bytes(sample_videos["cuts"].read_bytes())
    api_port = free_port()
    # A places profile with no trained weights here (and ALLOW_UNTRAINED off, as `make run` has it).
    env = {**os.environ, "DATA_DIR": str(tmp_path / "data"), "VIDEO_PATHS": str(videos),
           "API_PORT": str(api_port), "ML_PORT": str(free_port()), "DISCOVERY_INTERVAL": "2",
           "PLACES_MODEL": "resnet18-places365"}
    for name in ("DATABASE_URL", "REDIS_URL", "ALLOW_UNTRAINED"):
        env.pop(name, None)
    launcher = subprocess.Popen([sys.executable, str(REPO / "dev" / "launcher.py")], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(launcher.stdout.readline, "")), daemon=True)
    reader.start()
    blocked_line = "!! place_detection tasks are blocked: no trained weights for place_detection"
    try:
        deadline = time.monotonic() + 180
        scenes_done = told = False
        while time.monotonic() < deadline and not (scenes_done and told):
            time.sleep(1)
            told = any(line.startswith(blocked_line) for line in list(lines))
            try:
                tasks = httpx.get(f"http://127.0.0.1:{api_port}/tasks",
                                  params={"task_type": "scene_detection", "status": "completed"}, timeout=2).json()
                scenes_done = tasks["total"] == 1
            except (httpx.HTTPError, ValueError, KeyError):
                continue
        assert scenes_done, "the launcher's stack did not process the video"
        assert told, "the terminal did not say why place_detection does not run:\n" + "".join(lines[-20:])
        children = psutil.Process(launcher.pid).children(recursive=True)
        names = " ".join(" ".join(c.cmdline()) for c in children)
        for expected in ("postgres", "valkey-server", "reelscan_ml.cli", "reelscan_api.cli", "reelscan_worker.cli"):
            assert expected in names, expected
    finally:
        launcher.send_signal(signal.SIGTERM)
        launcher.wait(60)
        reader.join(10)
    out = "".join(lines)
    assert "stopped." in out, out[-2000:]
    time.sleep(0.5)
    alive = [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]
    assert alive == [], [c.cmdline() for c in alive]
