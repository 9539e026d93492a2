"""Small generated videos for tests and demos (H.264 + AAC via PyAV).

- ``speech``: a spoken sentence (espeak-ng) over plain frames;
- ``text``:   large on-screen words, for OCR;
- ``cuts``:   three very different shots, hard cuts at 2 s and 4 s;
- ``face``:   a photograph with a face (scikit-image's astronaut), for face detection;
- corrupt, truncated, zero-byte and non-video files for the failure paths.

Usage: python dev/sample_videos.py OUT_DIR
"""

from __future__ import annotations

import itertools
import shutil
import subprocess
import sys
import tempfile
import wave
from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

FPS = 25
SIZE = (640, 360)  # width, height
SPEECH_TEXT = "Hello from Reelscan. This video contains spoken words for transcription."
SCREEN_TEXT = "REELSCAN DEMO"


def _espeak_wav(text: str, out: Path, voice: str = "en-us", words_per_minute: int = 150) -> Path:
    exe = shutil.which("espeak-ng") or shutil.which("espeak")
    if not exe:
        raise RuntimeError("espeak-ng is needed to make the speech sample (apt-get install espeak-ng)")
    subprocess.run([exe, "-v", voice, "-s", str(words_per_minute), "-w", str(out), text], check=True,
                   capture_output=True)
    return out


def _read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path)) as w:
        rate, channels = w.getframerate(), w.getnchannels()
        samples = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
    return samples.reshape(-1, channels)[:, 0].copy(), rate


def write_video(path: Path, frames: Iterable[np.ndarray], audio: tuple[np.ndarray, int] | None = None,
                options: dict[str, str] | None = None) -> Path:
    """Write RGB frames (and optional mono int16 audio) as H.264/AAC MP4.

    The default encoder options favour speed (keyframe every second); pass x264
    ``options`` (e.g. ``{"preset": "veryfast"}``: 10 s GOPs with B-frames) for
    files that look like real-world video.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = iter(frames)
    first = next(frames)
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=FPS)
        video.width, video.height = first.shape[1], first.shape[0]
        video.pix_fmt = "yuv420p"
        video.options = options or {"preset": "ultrafast", "g": str(FPS)}
        astream = None
        if audio is not None:
            astream = container.add_stream("aac", rate=audio[1])
            astream.layout = "mono"
        for i, rgb in enumerate(itertools.chain([first], frames)):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, FPS)
            container.mux(video.encode(frame))
        container.mux(video.encode())
        if astream is not None and audio is not None:
            samples, rate = audio
            chunk = 1024
            for start in range(0, len(samples), chunk):
                piece = samples[start:start + chunk]
                aframe = av.AudioFrame.from_ndarray(piece.reshape(1, -1), format="s16", layout="mono")
                aframe.sample_rate, aframe.pts = rate, start
                container.mux(astream.encode(aframe))
            container.mux(astream.encode())
    return path


def _solid(rgb: tuple[int, int, int], n: int) -> list[np.ndarray]:
    frame = np.zeros((SIZE[1], SIZE[0], 3), np.uint8)
    frame[:] = rgb
    return [frame.copy() for _ in range(n)]


def speech_video(path: Path) -> Path:
    with tempfile.TemporaryDirectory() as tmp:
        samples, rate = _read_wav(_espeak_wav(SPEECH_TEXT, Path(tmp) / "speech.wav"))
    seconds = len(samples) / rate + 0.5
    samples = np.concatenate([samples, np.zeros(int(rate * 0.5), np.int16)])
    return write_video(path, _solid((40, 60, 90), int(seconds * FPS)), (samples, rate))


def text_video(path: Path, text: str = SCREEN_TEXT, seconds: float = 4.0) -> Path:
    import cv2

    frame = np.full((SIZE[1], SIZE[0], 3), 255, np.uint8)
    cv2.putText(frame, text, (40, 200), cv2.FONT_HERSHEY_SIMPLEX, 2.0, (0, 0, 0), 5, cv2.LINE_AA)
    return write_video(path, [frame.copy() for _ in range(int(seconds * FPS))])


def cuts_video(path: Path, shot_s: float = 2.0) -> Path:
    import cv2

    n = int(shot_s * FPS)
    checker = np.kron((np.indices((9, 16)).sum(axis=0) % 2).astype(np.uint8) * 255, np.ones((40, 40), np.uint8))
    checker = cv2.cvtColor(checker[: SIZE[1], : SIZE[0]], cv2.COLOR_GRAY2RGB)
    return write_video(path, _solid((220, 30, 30), n) + [checker.copy() for _ in range(n)] + _solid((20, 20, 200), n))


def face_video(path: Path, seconds: float = 4.0) -> Path:
    import cv2
    from skimage import data

    photo = cv2.resize(data.astronaut(), (SIZE[1], SIZE[1]))  # RGB, square
    frame = np.zeros((SIZE[1], SIZE[0], 3), np.uint8)
    offset = (SIZE[0] - SIZE[1]) // 2
    frame[:, offset: offset + SIZE[1]] = photo
    return write_video(path, [frame.copy() for _ in range(int(seconds * FPS))])


BENCH_SPEECH = (
    "This is the Reelscan benchmark video. It is sixty seconds long and it speaks all the time. "
    "Objects, faces, text and places are found in every frame that is sampled. "
    "The transcript should read these sentences back. "
)


def bench_video(path: Path, seconds: int = 60, size: tuple[int, int] = (1280, 720)) -> Path:
    """A real-world-like clip for benchmarks: 1280x720, 25 fps, x264 with 10 s GOPs and
    B-frames, moving texture, a moving object, a changing caption, and speech throughout."""
    import cv2

    width, height = size
    with tempfile.TemporaryDirectory() as tmp:
        samples, rate = _read_wav(_espeak_wav(BENCH_SPEECH * 4, Path(tmp) / "speech.wav"))
    samples = np.resize(samples, seconds * rate)  # repeat to fill the clip
    rng = np.random.default_rng(1)
    texture = cv2.resize(rng.integers(0, 255, (height // 40 + 1, width // 40 + 1, 3), dtype=np.uint8),
                         (width, height), interpolation=cv2.INTER_LINEAR)

    def frame(i: int) -> np.ndarray:
        image = np.roll(texture, i * 4, axis=1)
        cv2.putText(image, f"REELSCAN {i // FPS:02d}", (100, 200), cv2.FONT_HERSHEY_SIMPLEX, 3.0,
                    (255, 255, 255), 8, cv2.LINE_AA)
        cv2.circle(image, (200 + (i * 7) % (width - 400), height - 220), 80, (30, 30, 200), -1)
        return image

    return write_video(path, (frame(i) for i in range(seconds * FPS)), (samples, rate),
                       options={"preset": "veryfast"})


def corrupt_file(path: Path) -> Path:
    path.write_bytes(np.random.default_rng(7).integers(0, 256, 64 * 1024, dtype=np.uint8).tobytes())
    return path


def truncated_copy(source: Path, path: Path, keep: float = 0.3) -> Path:
    data = source.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def main(out_dir: str) -> None:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name, make in (("speech.mp4", speech_video), ("text.mp4", text_video),
                       ("cuts.mp4", cuts_video), ("face.mp4", face_video)):
        print(make(out / name))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "videos")
