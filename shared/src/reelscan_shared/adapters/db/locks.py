"""PostgreSQL advisory lock keys, in one place so no two features pick the same one."""

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

LIBRARY_LOCK = 0x5265656C  # "Reel": library changes (videos, their paths), one scanner at a time
VIDEO_FINISH_LOCK = 0x52656532  # with hashtext(video id): one "is the video done?" check at a time per video


async def lock_library(conn: AsyncConnection) -> None:
    """Held until the transaction ends: one writer of videos and their paths at a time."""
    await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LIBRARY_LOCK})
