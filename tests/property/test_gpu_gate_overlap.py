"""Whatever mix of concurrent model calls arrives (short, long, failing, cancelled
or timed out mid-run), no more than GPU_CONCURRENCY of them ever execute at once,
and every slot comes back."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from reelscan_ml.gate import GpuGate

call = st.fixed_dictionaries({
    "delay_s": st.floats(0, 0.01),  # when the request arrives
    "run_s": st.floats(0, 0.02),  # how long the model runs
    "outcome": st.sampled_from(["ok", "raises", "cancelled", "timeout"]),
})


class Probe:
    """Counts executions that really overlap, from inside the threads, and checks
    that the gate's books (slots in use) cover every execution."""

    def __init__(self, gate: GpuGate) -> None:
        self.gate = gate
        self.running = 0
        self.peak = 0
        self.uncounted = 0
        self.lock = threading.Lock()

    def model(self, run_s: float, fail: bool) -> str:
        with self.lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
        try:
            time.sleep(run_s / 2)
            with self.lock:
                self.uncounted += self.gate.in_use < self.running
            time.sleep(run_s / 2)
            if fail:
                raise RuntimeError("model failed")
            return "done"
        finally:
            with self.lock:
                self.running -= 1


async def one_request(gate: GpuGate, probe: Probe, spec: dict) -> None:
    await asyncio.sleep(spec["delay_s"])
    work = gate.run(probe.model, spec["run_s"], spec["outcome"] == "raises")
    if spec["outcome"] == "timeout":
        work = asyncio.wait_for(work, timeout=spec["run_s"] / 2)
    task = asyncio.ensure_future(work)
    if spec["outcome"] == "cancelled":
        await asyncio.sleep(spec["run_s"] / 3)
        task.cancel()
    with contextlib.suppress(RuntimeError, TimeoutError, asyncio.CancelledError):
        await task


@settings(max_examples=60, deadline=None)
@given(concurrency=st.integers(1, 3), calls=st.lists(call, min_size=1, max_size=16))
def test_model_executions_never_exceed_the_concurrency(concurrency: int, calls: list[dict]) -> None:
    async def scenario() -> GpuGate:
        gate = GpuGate(concurrency)
        probe = Probe(gate)
        await asyncio.gather(*(one_request(gate, probe, spec) for spec in calls))
        # Threads of cancelled calls finish on their own; a busy machine may take its time
        # (the bound only keeps a broken gate from hanging the suite).
        deadline = time.monotonic() + 60
        while gate.in_use and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        assert probe.peak <= concurrency and gate.peak_executing <= concurrency
        assert probe.uncounted == 0, "a slot was given back while its model was still running"
        assert gate.in_use == 0 and gate.waiting == 0
        # Every slot is free again: `concurrency` calls can start at once.
        await asyncio.wait_for(asyncio.gather(*(gate.run(time.sleep, 0) for _ in range(concurrency))), 60)
        gate.shutdown()
        return gate

    asyncio.run(scenario())
