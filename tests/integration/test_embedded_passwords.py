"""`make run`'s own PostgreSQL and Valkey ask for a password generated on first start
and kept in DATA_DIR/secrets/: another user of the machine cannot connect (as the
PostgreSQL superuser, or to the Valkey whose jobs arq unpickles)."""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest
import valkey
from embedded_servers import EmbeddedPostgres, free_port
from stack import Stack


def stores(data_dir: Path) -> Stack:
    stack = Stack(data_dir=data_dir, video_paths=str(data_dir), api_port=free_port(), ml_port=free_port())
    stack.start_stores()
    return stack


def stop_stores(stack: Stack) -> None:
    assert stack.postgres and stack.valkey
    stack.postgres.stop()
    stack.valkey.stop()


def without_password(url: str) -> str:
    parts = urlsplit(url)
    user = f"{parts.username}@" if parts.username else ""
    return parts._replace(netloc=f"{user}{parts.hostname}:{parts.port}").geturl()


def pg_connects(url: str) -> bool:
    async def attempt() -> bool:
        try:
            conn = await asyncpg.connect(url, timeout=10)
        except asyncpg.InvalidPasswordError:
            return False
        except asyncpg.exceptions.ClientCannotConnectError:  # no password offered to a server asking for one
            return False
        await conn.close()
        return True

    return asyncio.run(attempt())


def valkey_answers(url: str) -> bool:
    try:
        return bool(valkey.Valkey.from_url(url, socket_timeout=5).ping())
    except valkey.AuthenticationError:
        return False


def test_the_stores_need_the_generated_passwords_and_keep_them(tmp_path: Path) -> None:
    stack = stores(tmp_path)
    try:
        pg_url, vk_url = stack.database_url or "", stack.redis_url or ""
        assert urlsplit(pg_url).password and urlsplit(vk_url).password
        assert pg_connects(pg_url) and not pg_connects(without_password(pg_url))
        assert valkey_answers(vk_url) and not valkey_answers(without_password(vk_url))
    finally:
        stop_stores(stack)
    for name in ("postgres-password", "valkey-password"):
        assert stat.S_IMODE((tmp_path / "secrets" / name).stat().st_mode) == 0o600
    again = stores(tmp_path)  # a restart over the same data: the same passwords
    try:
        assert (again.database_url, again.redis_url) != (None, None)
        assert urlsplit(again.database_url or "").password == urlsplit(pg_url).password
        assert pg_connects(again.database_url or "") and valkey_answers(again.redis_url or "")
    finally:
        stop_stores(again)


def test_a_data_directory_made_without_a_password_is_closed_on_the_next_start(tmp_path: Path) -> None:
    old = EmbeddedPostgres(tmp_path / "postgres", free_port())  # as `make run` made it before passwords
    old.start()
    old.stop()
    stack = stores(tmp_path)
    try:
        assert pg_connects(stack.database_url or "")
        assert not pg_connects(without_password(stack.database_url or ""))
    finally:
        stop_stores(stack)


@pytest.mark.parametrize("password", ["it's %2F a p@ss:word"])
def test_a_password_with_url_characters_connects_and_migrates(tmp_path: Path, password: str) -> None:
    from reelscan_api.migrations.runner import upgrade

    server = EmbeddedPostgres(tmp_path / "postgres", free_port(), password=password)
    server.start()
    try:
        assert "%25" in server.url and pg_connects(server.url)
        upgrade(server.url)  # Alembic's config parser once took the %-escapes for interpolation
    finally:
        server.stop()
