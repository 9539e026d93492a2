"""What operators poll: /health (cached, bounded even when a dependency hangs),
/ready, /live, /metrics, and the request id (real PostgreSQL and Valkey)."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from test_api import _client, _discover, settings_for

from reelscan_api.migrations.runner import upgrade


@pytest.fixture
async def hanging_port() -> AsyncIterator[int]:
    """A TCP server that accepts connections and never answers: a hung dependency."""
    held: list[asyncio.StreamWriter] = []

    async def swallow(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    for writer in held:
        writer.close()
    server.close()


async def test_live_ready_and_health_fields(db, redis, migrated_url, valkey, video_dir) -> None:
    async for client in _client(settings_for(migrated_url, valkey.url, video_dir)):
        assert (await client.get("/live")).json() == {"status": "alive"}
        ready = await client.get("/ready")
        assert ready.status_code == 200
        assert ready.json() == {"ready": True, "database": "up", "schema": "current", "valkey": "up"}
        first, second = (await client.get("/health")).json(), (await client.get("/health")).json()
        assert first["checked_at"] == second["checked_at"], "polls within HEALTH_CACHE_SECONDS share one check"


async def test_ready_waits_for_migrations(postgres, redis, valkey, video_dir) -> None:
    name = f"fresh_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(postgres.url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    url = postgres.url.rsplit("/", 1)[0] + f"/{name}"
    async for client in _client(settings_for(url, valkey.url, video_dir, HEALTH_CACHE_SECONDS=0)):
        before = await client.get("/ready")
        assert before.status_code == 503 and before.json()["schema"].startswith("unknown")
        assert (await client.get("/health")).json()["status"] == "degraded"
        await asyncio.to_thread(upgrade, url)
        assert (await client.get("/ready")).status_code == 200


async def test_health_answers_when_dependencies_hang(db, migrated_url, video_dir, hanging_port) -> None:
    hung = f"127.0.0.1:{hanging_port}"
    settings = settings_for(migrated_url, f"redis://{hung}/0", video_dir, ML_SERVICE_URL=f"http://{hung}",
                            HEALTH_TIMEOUT_SECONDS=0.5)
    async for client in _client(settings):
        # The bound only guards against a hang; the checks give up after 0.5 s each.
        resp = await asyncio.wait_for(client.get("/health"), timeout=15)
        body = resp.json()
        assert resp.status_code == 503 and body["status"] == "unhealthy"
        assert body["valkey"].startswith("down") and body["ml_service"].startswith("down")
        assert body["database"] == "up"
        ready = await asyncio.wait_for(client.get("/ready"), timeout=15)
        assert ready.status_code == 503 and ready.json()["valkey"].startswith("down")
        assert (await client.get("/live")).status_code == 200


def sample(metrics: str, name: str, **labels: str) -> float:
    """The value of one series in Prometheus text format."""
    for line in metrics.splitlines():
        match = re.match(rf"^{name}\{{(.*)\}} (\S+)$", line)
        if match and all(f'{k}="{v}"' in match.group(1) for k, v in labels.items()):
            return float(match.group(2))
    raise AssertionError(f"no series {name}{labels}")


async def test_metrics_and_request_ids(db, redis, migrated_url, valkey, video_dir) -> None:
    async for client in _client(settings_for(migrated_url, valkey.url, video_dir)):
        await _discover(client)
        missing = await client.get(f"/videos/{uuid.uuid4()}", headers={"X-Request-ID": "op-check-1"})
        assert missing.status_code == 404 and missing.headers["x-request-id"] == "op-check-1"
        created = (await client.get("/tasks")).headers["x-request-id"]
        assert re.fullmatch(r"[0-9a-f]{32}", created), "created when the client sends none"
        hostile = await client.get("/live", headers={"X-Request-ID": "bad id\twith spaces"})
        assert hostile.headers["x-request-id"] != "bad id\twith spaces"

        metrics = (await client.get("/metrics")).text
        assert sample(metrics, "reelscan_http_requests_total", method="GET", route="/videos/{video_id}",
                      status="404") >= 1
        assert sample(metrics, "reelscan_http_request_duration_seconds_count", method="GET", route="/tasks") >= 1
        assert sample(metrics, "reelscan_tasks", task_type="object_detection", status="pending") == 2
        assert sample(metrics, "reelscan_queue_depth", queue="gpu_jobs") == 10
        assert sample(metrics, "reelscan_queue_depth", queue="cpu_jobs") == 2


async def test_a_report_nobody_asked_for_in_a_while_is_not_served(db, redis, migrated_url, valkey, video_dir) -> None:
    """Stale-while-refreshing only for a recent report: after more than STALE_LIMIT cache
    periods without a poll, the next poll waits for a fresh check (a page opened once
    must not show how things were minutes ago)."""
    from reelscan_api.health import HealthMonitor
    from reelscan_shared.adapters.db import SqlTaskRepository
    from reelscan_shared.domain.clock import utcnow
    from reelscan_shared.domain.tasks import Event

    ttl = 0.2
    async for client in _client(settings_for(migrated_url, valkey.url, video_dir, HEALTH_CACHE_SECONDS=ttl)):
        await _discover(client)
        before = (await client.get("/health")).json()
        assert all(a["blocked_tasks"] == 0 for a in before["analyses"].values()), before["analyses"]
        task = (await client.get("/tasks", params={"task_type": "place_detection", "limit": 1})).json()["items"][0]
        repo = SqlTaskRepository(db)
        await repo.apply(task["task_id"], Event.START, utcnow())
        await repo.apply(task["task_id"], Event.BLOCK, utcnow(), error="no trained weights for place_detection")
        await asyncio.sleep(HealthMonitor.STALE_LIMIT * ttl + 0.5)  # at least this long: only "later" matters
        after = (await client.get("/health")).json()
        assert after["analyses"]["place_detection"]["blocked_tasks"] == 1, after["analyses"]
        assert after["status"] == "degraded" and after["checked_at"] != before["checked_at"]
