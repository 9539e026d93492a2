"""A video's transcript as the files players load: SubRip (.srt), WebVTT (.vtt), text.

Composed with ``srt`` and ``webvtt-py``; one cue per transcribed sentence.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import timedelta

import srt
import webvtt

FORMATS = {"srt": "application/x-subrip", "vtt": "text/vtt", "txt": "text/plain"}
MIN_CUE_MS = 500  # a sentence Whisper ends where it starts still shows for a moment


@dataclass(frozen=True)
class Cue:
    start_ms: int
    end_ms: int
    text: str


def _end(cue: Cue) -> int:
    return max(cue.end_ms, cue.start_ms + MIN_CUE_MS)


def _vtt_time(ms: int) -> str:
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def render(cues: list[Cue], fmt: str) -> str:
    if fmt == "srt":
        composed: str = srt.compose([srt.Subtitle(i, timedelta(milliseconds=c.start_ms),
                                                  timedelta(milliseconds=_end(c)), c.text)
                                     for i, c in enumerate(cues, 1)])
        return composed
    if fmt == "vtt":
        vtt = webvtt.WebVTT()
        for c in cues:  # cue text is markup in WebVTT: & and < must be escaped
            vtt.captions.append(webvtt.Caption(start=_vtt_time(c.start_ms), end=_vtt_time(_end(c)),
                                               text=html.escape(c.text, quote=False)))
        content: str = vtt.content
        return content
    if fmt == "txt":
        return "".join(f"{c.text}\n" for c in cues)
    raise ValueError(f"unknown transcript format {fmt!r}")
