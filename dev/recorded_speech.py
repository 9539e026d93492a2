"""Recorded speech for `make bench-quality`: a real voice, not a synthetic one.

Debian's ``asterisk-core-sounds-en-wav`` holds Asterisk's English prompts as recorded
by Allison Smith (8 kHz telephone WAV, CC-BY-SA-3.0), and ``asterisk-core-sounds-en``
their transcripts (``core-sounds-en.txt.gz``). The clip is PROMPTS of them, each
a sentence of 6 to 30 words without digits (a transcript writes "1" where the voice
says "one"), spread evenly over them in name order, a pause between each: a fixed choice, so runs compare.

Install: ``apt-get install asterisk-core-sounds-en-wav asterisk-core-sounds-en``
(dev/setup.sh does, as root). Without them the bench says so and skips this source.
"""

from __future__ import annotations

import gzip
import re
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sample_videos as sv

SOUNDS = Path("/usr/share/asterisk/sounds/en_US_f_Allison")
TRANSCRIPTS = Path("/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz")
PROMPTS = 24
PAUSE_S = 1.0


@dataclass
class Prompt:
    name: str
    text: str
    start_ms: int


def available() -> bool:
    return SOUNDS.is_dir() and TRANSCRIPTS.is_file()


def _transcripts() -> dict[str, str]:
    out = {}
    with gzip.open(TRANSCRIPTS, "rt", encoding="utf-8", errors="replace") as lines:
        text_lines = list(lines)
    for line in text_lines:
        name, sep, text = line.partition(":")
        if sep and not line.startswith(";") and "/" not in name:
            out[name.strip()] = text.strip()
    return out


def chosen() -> list[tuple[str, str]]:
    """(name, transcript) of the prompts in the clip."""
    picked = []
    for name, text in sorted(_transcripts().items()):
        n_words = len(text.split())
        if 6 <= n_words <= 30 and not re.search(r"[\d\[\]#*]", text) and (SOUNDS / f"{name}.wav").is_file():
            picked.append((name, text))
    return picked[::max(1, len(picked) // PROMPTS)][:PROMPTS]  # spread over the whole set


def make(path: Path) -> list[Prompt]:
    """Write the clip (black frames, the prompts one after another); returns what is said when."""
    rate = 0
    pieces: list[np.ndarray] = []
    prompts: list[Prompt] = []
    at = 0
    for name, text in chosen():
        with wave.open(str(SOUNDS / f"{name}.wav")) as w:
            rate = rate or w.getframerate()
            assert w.getframerate() == rate and w.getsampwidth() == 2, name
            samples = np.frombuffer(w.readframes(w.getnframes()), np.int16).reshape(-1, w.getnchannels())[:, 0]
        pause = np.zeros(int(PAUSE_S * rate), np.int16)
        prompts.append(Prompt(name, text, round((at + len(pause)) * 1000 / rate)))
        pieces += [pause, samples]
        at += len(pause) + len(samples)
    audio = np.concatenate([*pieces, np.zeros(int(PAUSE_S * rate), np.int16)])
    black = np.zeros((240, 320, 3), np.uint8)
    sv.write_video(path, (black for _ in range(int(len(audio) / rate * sv.FPS))), (audio, rate))
    return prompts
