"""The async engine and session factory, built from a DATABASE_URL."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


def async_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and use the asyncpg driver for them."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix):]
    return url


class Database:
    def __init__(self, url: str, *, pool_size: int = 5, echo: bool = False) -> None:
        self.engine: AsyncEngine = create_async_engine(
            async_url(url),
            pool_size=pool_size,
            max_overflow=pool_size,
            # No pre-ping: it costs a round trip on every checkout (a worker checks out
            # twice per job: -15% throughput in bench-scale). After a PostgreSQL restart
            # the first statement on a stale connection fails as a disconnect; SQLAlchemy
            # then invalidates the whole pool, the worker retries the job with backoff
            # and the API answers that one request 503.
            pool_pre_ping=False,
            echo=echo,
        )
        # Reads (`reads.connect()`) run without BEGIN ... ROLLBACK around them: under READ
        # COMMITTED each statement has its own snapshot either way, and the two extra round
        # trips per checkout were 8% of the API's py-spy samples under load. Same pool;
        # writes use `engine.begin()`.
        self.reads: AsyncEngine = self.engine.execution_options(isolation_level="AUTOCOMMIT")

    async def ping(self) -> None:
        async with self.reads.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()
