"""The API as a real process, for tests that need their own settings. A plain module
(not a conftest) so that test files import it by a name no other directory shares."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from embedded_servers import free_port

REPO = Path(__file__).resolve().parents[1]


def wait_until_answers(url: str, proc: subprocess.Popen, timeout_s: float = 120.0) -> None:
    """Until ``url`` answers at all; fails at once if ``proc`` exits first."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            assert proc.poll() is None, f"{proc.args[0]} exited before {url} answered"
            assert time.monotonic() < deadline, f"{url} did not answer within {timeout_s:.0f}s"
            time.sleep(0.05)


@contextmanager
def running_api(**env_vars: str) -> Iterator[str]:
    """The API as a real process (``reelscan-api serve``) with these settings; yields its URL."""
    port = free_port()
    env = {**os.environ, "API_PORT": str(port), "DISCOVERY_INTERVAL": "0", "LOG_LEVEL": "WARNING",
           "ML_SERVICE_URL": f"http://127.0.0.1:{free_port()}", "HEALTH_TIMEOUT_SECONDS": "0.5", **env_vars}
    proc = subprocess.Popen([sys.executable, "-m", "reelscan_api.cli", "serve"], env=env, cwd=REPO)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_answers(f"{url}/openapi.json", proc)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)
