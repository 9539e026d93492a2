"""The ML service's stderr is a stream of JSON log lines. FFmpeg must never write raw
text into it: PySceneDetect's PyAV backend switches FFmpeg's own printing back on for
the whole process unless told not to (a CI run failed on a half-line of FFmpeg text)."""

import subprocess
import sys
from pathlib import Path

SCENES_THEN_A_BROKEN_FILE = """
import av
from reelscan_shared.schemas.configs import ScenesConfig
from reelscan_ml.analyzers.scenes import detect_scenes
detect_scenes(__import__("pathlib").Path({video!r}), ScenesConfig())
try:
    av.open({broken!r})
except av.error.FFmpegError:
    pass
print("done")
"""


def test_scene_detection_leaves_ffmpeg_silent(tmp_path: Path, sample_videos: dict[str, Path]) -> None:
    broken = tmp_path / "truncated.mp4"
    broken.write_bytes(sample_videos["cuts"].read_bytes()[:4096])  # no moov atom: FFmpeg complains
    code = SCENES_THEN_A_BROKEN_FILE.format(video=str(sample_videos["cuts"]), broken=str(broken))
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "done"
    assert run.stderr == "", f"FFmpeg printed to stderr: {run.stderr[:500]!r}"
