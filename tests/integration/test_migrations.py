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


def test_0010_takes_untrained_results_out_of_search_and_back_on_downgrade(postgres) -> None:
    """A library analysed before 0010 has its untrained networks' results in search's
    tables: upgrading takes them (only them) out; downgrading puts them back."""
    import subprocess

    from factories import task, video
    from sqlalchemy import text

    from reelscan_shared.adapters.db import Database, SqlTaskRepository, SqlVideoRepository
    from reelscan_shared.analyses import ANALYSES, default_config
    from reelscan_shared.domain.artifacts import Provenance
    from reelscan_shared.domain.clock import utcnow
    from reelscan_shared.domain.tasks import TaskType
    from reelscan_worker.envelopes import build_envelopes

    subprocess.run([str(postgres.bin / "psql"), "-h", "127.0.0.1", "-p", str(postgres.port), "-U", "postgres",
                    "-c", "CREATE DATABASE untrained"], check=True, capture_output=True)
    url = postgres.url.rsplit("/", 1)[0] + "/untrained"
    upgrade(url)
    videos: dict = {}

    def frame(label: str) -> dict:
        return {"span_start_ms": 0, "span_end_ms": 0,
                "payload": {"frame_ms": 0, "top_k": [{"label": label, "class_id": 1, "score": 0.5}]}}

    def words(said: str) -> dict:
        return {"span_start_ms": 0, "span_end_ms": 1000,
                "payload": {"start_ms": 0, "end_ms": 1000, "text": said, "language": "en"}}

    async def store() -> None:
        db = Database(url)
        tasks = SqlTaskRepository(db)
        for path, task_type, items, profile in (
                ("/videos/car.mp4", TaskType.PLACE_DETECTION, [frame("car_interior")],
                 "resnet18-places365-untrained-random-init"),
                ("/videos/car.mp4", TaskType.TRANSCRIPTION, [words("hello there")], "whisper-untrained"),
                ("/videos/street.mp4", TaskType.PLACE_DETECTION, [frame("street")], "resnet18-places365")):
            if (v := videos.get(path)) is None:
                v = videos[path] = video(path)
                await SqlVideoRepository(db).add_with_tasks(v, [])
            t = task(v.video_id, task_type, config=default_config(task_type))
            await tasks.add(t)
            await tasks.start(t.task_id, utcnow())
            provenance = Provenance(run_id="r" * 32, producer="p", producer_version="1", model_profile=profile,
                                    config_hash="c" * 64, input_hash="i" * 64)
            envelopes = build_envelopes(t, ANALYSES[task_type].artifact_type, 1, items, provenance)
            await tasks.complete_with_artifacts(t.task_id, envelopes, utcnow())
        await db.dispose()

    async def indexed() -> tuple[set[str], int]:
        db = Database(url)
        async with db.engine.connect() as conn:
            labels = set((await conn.execute(text("SELECT label FROM video_labels"))).scalars())
            texts = (await conn.execute(text("SELECT count(*) FROM artifact_text"))).scalar_one()
        await db.dispose()
        return labels, texts

    asyncio.run(store())
    assert asyncio.run(indexed()) == ({"street"}, 0)  # written since 0010: never indexed
    downgrade(url, "0009")
    assert asyncio.run(indexed()) == ({"street", "car_interior"}, 1)  # what the code before 0010 had indexed
    upgrade(url)
    assert asyncio.run(indexed()) == ({"street"}, 0)
