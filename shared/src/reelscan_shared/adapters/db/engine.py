"""The async engine and session factory, built from a DATABASE_URL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


def async_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and use the asyncpg driver for them."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix):]
    return url


QUERY_CANCELED = "57014"  # SQLSTATE of a statement stopped by statement_timeout (or a cancel request)


def is_statement_timeout(exc: BaseException) -> bool:
    """Whether a database error is PostgreSQL giving up on a statement (statement_timeout)."""
    orig = getattr(exc, "orig", None)
    return QUERY_CANCELED in (getattr(orig, "sqlstate", None), getattr(orig, "pgcode", None))


# SQLSTATE classes that say the statement itself is wrong for PostgreSQL, so running it
# again cannot help: 22 data exception (a value PostgreSQL refuses: NUL in text, -inf in
# JSON), 23 integrity constraint, 54 program limit exceeded (a row or index entry too big).
# Connection loss, shutdowns, deadlocks and timeouts are in other classes: retried.
PERMANENT_CLASSES = frozenset({"22", "23", "54"})


def permanent_error(exc: BaseException) -> str | None:
    """PostgreSQL's message when a database error cannot be cured by retrying, else None."""
    orig = getattr(exc, "orig", None)
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if isinstance(state, str) and state[:2] in PERMANENT_CLASSES:
        return f"SQLSTATE {state}: {str(orig).splitlines()[0][:300]}"
    return None


class Database:
    """``read_timeout_ms`` > 0 bounds every statement on ``reads`` (PostgreSQL's
    ``statement_timeout``, set once per connection, so a read costs no extra round trip);
    transactions (``engine.begin()``, writes) set it back to ``write_timeout_ms`` (0: none)
    for themselves with ``SET LOCAL``: a write that has started is left to finish."""

    def __init__(self, url: str, *, pool_size: int = 5, echo: bool = False,
                 read_timeout_ms: int = 0, write_timeout_ms: int = 0) -> None:
        connect_args: dict[str, Any] = (
            {"server_settings": {"statement_timeout": str(read_timeout_ms)}} if read_timeout_ms else {})
        self.engine: AsyncEngine = create_async_engine(
            async_url(url),
            connect_args=connect_args,
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
        if read_timeout_ms and read_timeout_ms != write_timeout_ms:
            set_write_timeout = f"SET LOCAL statement_timeout = {int(write_timeout_ms)}"

            def _writes_get_their_own_timeout(conn: Connection) -> None:
                if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
                    conn.exec_driver_sql(set_write_timeout)

            event.listen(self.engine.sync_engine, "begin", _writes_get_their_own_timeout)

    async def ping(self) -> None:
        async with self.reads.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()
