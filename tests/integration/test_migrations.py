"""The Alembic migrations produce exactly the schema the code's metadata describes."""

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from reelscan_api.migrations.runner import downgrade, upgrade
from reelscan_shared.adapters.db.engine import async_url
from reelscan_shared.adapters.db.tables import metadata


def _diff(url: str) -> list:
    async def run() -> list:
        engine = create_async_engine(async_url(url))
        async with engine.connect() as conn:
            diff = await conn.run_sync(lambda c: compare_metadata(MigrationContext.configure(c), metadata))
        await engine.dispose()
        return diff

    return asyncio.run(run())


def test_migrated_schema_matches_metadata(migrated_url: str) -> None:
    assert _diff(migrated_url) == []


def test_downgrade_then_upgrade_round_trips(postgres) -> None:
    import subprocess

    subprocess.run([str(postgres.bin / "psql"), "-h", "127.0.0.1", "-p", str(postgres.port), "-U", "postgres",
                    "-c", "CREATE DATABASE roundtrip"], check=True, capture_output=True)
    url = postgres.url.rsplit("/", 1)[0] + "/roundtrip"
    upgrade(url)
    downgrade(url, "base")
    upgrade(url)
    assert _diff(url) == []
