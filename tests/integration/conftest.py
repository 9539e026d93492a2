"""Fixtures shared by the integration tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def video_dir(tmp_path: Path, sample_videos: dict[str, Path]) -> Path:
    """A small library: two videos (one nested, upper-case extension) and a non-video."""
    d = tmp_path / "library"
    (d / "nested").mkdir(parents=True)
    (d / "text.mp4").write_bytes(sample_videos["text"].read_bytes())
    (d / "nested" / "cuts.MOV").write_bytes(sample_videos["cuts"].read_bytes())
    (d / "notes.txt").write_text("not a video")
    return d
