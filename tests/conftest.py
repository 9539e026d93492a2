"""Shared fixtures: embedded PostgreSQL and Valkey (real servers, one per test
session), a migrated database emptied between tests, and generated videos."""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "dev"))
sys.path.insert(0, str(REPO / "tests"))

from embedded_servers import EmbeddedPostgres, EmbeddedValkey, free_port  # noqa: E402

# The suite runs offline, and many tests start ML services (in-process, as processes,
# whole stacks: all inherit this) whose profiles' weights are not here. They must not
# try to fetch them from the internet (MODEL_AUTO_PULL, on by default): the tests
# about the fetch turn it on, with a local server as the source.
os.environ["MODEL_AUTO_PULL"] = "false"

# Each checkout's test sessions get a temporary root of their own. Whenever a session
# starts, pytest makes its pytest-of-<user> folder private again (mode 0700); run as
# root, the embedded PostgreSQL servers run as an unprivileged user that must reach
# their data under that folder, so a session started from another checkout (another
# clone's `make test` on the same machine) cut a running suite's databases off
# ("could not open file .../pg_control: Permission denied"), and every later test failed.
_TEMP_ROOT = Path(tempfile.gettempdir()) / f"reelscan-tests-{hashlib.sha256(bytes(REPO)).hexdigest()[:12]}"
_TEMP_ROOT.mkdir(exist_ok=True)
os.environ.setdefault("PYTEST_DEBUG_TEMPROOT", str(_TEMP_ROOT))


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedPostgres]:
    server = EmbeddedPostgres(tmp_path_factory.mktemp("pg") / "data", free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def valkey(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedValkey]:
    server = EmbeddedValkey(tmp_path_factory.mktemp("valkey") / "data", free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def migrated_url(postgres: EmbeddedPostgres) -> str:
    from reelscan_api.migrations.runner import upgrade

    upgrade(postgres.url)
    return postgres.url


@pytest.fixture
async def db(migrated_url: str) -> AsyncIterator:
    from sqlalchemy import text

    from reelscan_shared.adapters.db import Database

    database = Database(migrated_url)
    async with database.engine.begin() as conn:
        await conn.execute(text("TRUNCATE videos, tasks, artifacts, webhooks, events CASCADE"))
    yield database
    await database.dispose()


@pytest.fixture
async def redis(valkey: EmbeddedValkey) -> AsyncIterator:
    from arq.connections import ArqRedis

    client = ArqRedis.from_url(valkey.url)
    await client.flushall()
    yield client
    await client.aclose()


@pytest.fixture(scope="session")
def sample_videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    import sample_videos as sv

    out = tmp_path_factory.mktemp("videos")
    return {
        "speech": sv.speech_video(out / "speech.mp4"),
        "text": sv.text_video(out / "text.mp4"),
        "cuts": sv.cuts_video(out / "cuts.mp4"),
        "face": sv.face_video(out / "face.mp4"),
    }
