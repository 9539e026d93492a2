"""Fixtures shared by the integration tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from api_processes import running_api


@pytest.fixture
def video_dir(tmp_path: Path, sample_videos: dict[str, Path]) -> Path:
    """A small library: two videos (one nested, upper-case extension) and a non-video."""
    d = tmp_path / "library"
    (d / "nested").mkdir(parents=True)
    (d / "text.mp4").write_bytes(sample_videos["text"].read_bytes())
    (d / "nested" / "cuts.MOV").write_bytes(sample_videos["cuts"].read_bytes())
    (d / "notes.txt").write_text("not a video")
    return d


@pytest.fixture(scope="module")
def api_process(migrated_url: str, valkey, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The API as a real process on the embedded PostgreSQL and Valkey; yields its URL."""
    library = tmp_path_factory.mktemp("api-videos")
    with running_api(DATABASE_URL=migrated_url, REDIS_URL=valkey.url, VIDEO_PATHS=str(library)) as url:
        yield url
