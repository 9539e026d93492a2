"""Valkey with a password (the compose deployment sets one): the API and the queue
adapter authenticate with the password in REDIS_URL, and a wrong password shows as
Valkey down, with the password never printed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from api_processes import running_api
from arq import create_pool
from embedded_servers import EmbeddedValkey, free_port

from reelscan_shared.adapters.queue import ArqJobQueue, redis_settings

PASSWORD = "s3cret-Valkey-pw"


@pytest.fixture(scope="module")
def locked_valkey(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedValkey]:
    server = EmbeddedValkey(tmp_path_factory.mktemp("valkey-auth") / "data", free_port(), password=PASSWORD)
    server.start()
    yield server
    server.stop()


async def test_the_queue_adapter_authenticates(locked_valkey: EmbeddedValkey) -> None:
    pool = await create_pool(redis_settings(locked_valkey.url))
    try:
        queue = ArqJobQueue(pool)
        await queue.ping()
        assert await queue.worker_alive("gpu_jobs") is False
    finally:
        await pool.aclose()


def test_the_api_is_ready_with_the_password_and_down_without_it(
        locked_valkey: EmbeddedValkey, migrated_url: str, tmp_path: Path) -> None:
    common = {"DATABASE_URL": migrated_url, "VIDEO_PATHS": str(tmp_path), "HEALTH_CACHE_SECONDS": "0"}
    with running_api(REDIS_URL=locked_valkey.url, **common) as url:
        ready = httpx.get(f"{url}/ready", timeout=5)
        assert ready.status_code == 200, ready.text
    wrong = locked_valkey.url.replace(PASSWORD, "wrong-password")
    with running_api(REDIS_URL=wrong, **common) as url:
        ready = httpx.get(f"{url}/ready", timeout=5)
        health = httpx.get(f"{url}/health", timeout=5)
        assert ready.status_code == 503
        assert health.json()["valkey"] != "up"
        assert "wrong-password" not in ready.text + health.text
