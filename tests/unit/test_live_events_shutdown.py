"""ShutdownSignal chains to what SIGTERM did before it: uvicorn's handler in a server,
the default (end the process) anywhere else. It must never swallow the signal."""

from __future__ import annotations

import signal
import subprocess
import sys

PROGRAM = """
import asyncio, os, signal, sys
from reelscan_api.live_events import ShutdownSignal

async def main(chained):
    stop = ShutdownSignal()
    if chained:
        signal.signal(signal.SIGTERM, lambda s, f: print("previous handler ran", flush=True))
    stop.install()
    os.kill(os.getpid(), signal.SIGTERM)
    await asyncio.wait_for(stop.event.wait(), 60)
    print("streams told to stop", flush=True)

asyncio.run(main(sys.argv[1] == "chained"))
"""


def _run(mode: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", PROGRAM, mode], capture_output=True, text=True, timeout=60)


def test_sigterm_still_ends_a_process_that_had_no_handler() -> None:
    assert _run("default").returncode == -signal.SIGTERM


def test_the_handler_installed_before_runs_and_streams_are_told_to_stop() -> None:
    done = _run("chained")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["previous handler ran", "streams told to stop"]
