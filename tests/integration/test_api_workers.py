"""API_WORKERS > 1: several real API processes behind one port, one /metrics for all."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import httpx
from api_processes import running_api
from test_api_operations import sample


def _metrics_dirs() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob("reelscan-api-metrics-*"))


def test_two_processes_share_the_port_and_one_metrics_view(migrated_url, valkey, tmp_path) -> None:
    before = _metrics_dirs()
    with running_api(DATABASE_URL=migrated_url, REDIS_URL=valkey.url, VIDEO_PATHS=str(tmp_path),
                     API_WORKERS="2") as url:
        # A fresh connection per request, so the kernel hands them to both processes.
        for _ in range(40):
            assert httpx.get(f"{url}/tasks", params={"limit": 1}).status_code == 200
        (metrics_dir,) = _metrics_dirs() - before
        served_by = list(metrics_dir.glob("histogram_*.db"))  # one file per process that served
        assert len(served_by) == 2, served_by
        # Whichever process answers /metrics, it counts the requests both of them served.
        counts = {sample(httpx.get(f"{url}/metrics").text, "reelscan_http_requests_total", method="GET",
                         route="/tasks", status="200") for _ in range(8)}
        assert counts == {40.0}, counts
    assert _metrics_dirs() == before, "the shared metrics directory is removed on exit"


async def test_one_periodic_scan_per_round_across_processes(redis) -> None:
    from redis.asyncio import Redis

    from reelscan_api.app import claim_scan_round

    claims = [await claim_scan_round(redis, 0.3) for _ in range(3)]  # three processes, one round
    assert claims == [True, False, False]
    await asyncio.sleep(0.35)  # the next round
    assert await claim_scan_round(redis, 0.3)
    down = Redis.from_url("redis://127.0.0.1:9/0", socket_connect_timeout=0.2)
    assert await claim_scan_round(down, 0.3), "with Valkey down every process scans"
    await down.aclose()
