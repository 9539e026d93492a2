import asyncio
import threading
import time

from reelscan_ml.gate import GpuGate


async def test_gate_bounds_concurrent_executions_and_keeps_the_loop_free() -> None:
    gate = GpuGate(2)
    running, peak = 0, 0
    lock = threading.Lock()

    def work() -> None:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.1)
        with lock:
            running -= 1

    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    t = asyncio.create_task(ticker())
    await asyncio.gather(*(gate.run(work) for _ in range(6)))
    t.cancel()
    assert peak == 2 and gate.peak_in_use == 2 and gate.peak_executing == 2 and gate.in_use == 0
    assert ticks > 10, "the event loop kept running while models ran in threads"
