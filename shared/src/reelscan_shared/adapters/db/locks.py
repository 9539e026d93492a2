"""PostgreSQL advisory lock keys, in one place so no two features pick the same one."""

LIBRARY_LOCK = 0x5265656C  # "Reel": library changes (videos, their paths), one scanner at a time
VIDEO_FINISH_LOCK = 0x52656532  # with hashtext(video id): one "is the video done?" check at a time per video
