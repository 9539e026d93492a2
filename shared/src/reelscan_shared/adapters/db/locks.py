"""PostgreSQL advisory lock keys, in one place so no two features pick the same one."""

LIBRARY_LOCK = 0x5265656C  # "Reel": library changes (videos, their paths), one scanner at a time
