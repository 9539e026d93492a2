"""Speech transcription of the audio track: decoded to 16 kHz mono outside the
gate, transcribed under it.

A segment ``[start, end)`` of a long video is heard whole: the audio is decoded up
to LISTEN_PAST_MS past ``end``, so a sentence spoken across ``end`` is transcribed in
this segment. The segment keeps the sentences that start before ``end`` and says
where the next segment must start (the response's ``end_ms``): in the pause after the
last sentence it kept (at most LEAD_MS before the next sentence). A sentence that
runs into the last TAIL_MS of the audio heard may have been cut short; it is left to
the next segment, which starts before it.
So every sentence is transcribed once, whole, whatever the segment length.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reelscan_ml import frames
from reelscan_ml.analyzers.base import AnalyzerOutput
from reelscan_ml.pipeline import InferenceContext
from reelscan_shared.schemas.configs import TranscriptionConfig

LISTEN_PAST_MS = 10_000
TAIL_MS = 2_000
LEAD_MS = 1_000


def transcript_items(segments: list[dict[str, Any]], language: str) -> list[dict[str, Any]]:
    """One item per recognised segment; a segment the model ends before it starts
    (it happens at the very end of the audio) ends where it starts."""
    items = []
    for segment in segments:
        end_ms = max(segment["end_ms"], segment["start_ms"])
        items.append({"span_start_ms": segment["start_ms"], "span_end_ms": end_ms,
                      "payload": {**segment, "end_ms": end_ms, "language": language}})
    return items


def heard_whole(segments: list[dict[str, Any]], start_ms: int, end_ms: int, heard_until_ms: int,
                audio_ended: bool) -> tuple[list[dict[str, Any]], int]:
    """The sentences (in time order, times from the video's start) this segment keeps,
    and where the next segment starts: in the middle of the pause before the first
    sentence it leaves (Whisper's timestamps are a few hundred ms off either way; a
    segment that starts mid-word loses the word).

    ``heard_until_ms``: where the decoded audio stopped; ``audio_ended``: because the
    audio track ended (then nothing was cut short).
    """
    kept: list[dict[str, Any]] = []
    cut_short_after = heard_until_ms - TAIL_MS if not audio_ended else float("inf")
    for segment in segments:
        if segment["start_ms"] >= end_ms:  # the next segment's: it starts after this one's end
            return kept, _pause_before(segment, kept, start_ms)
        if segment["end_ms"] > cut_short_after and kept:
            return kept, _pause_before(segment, kept, start_ms)  # heard again, whole, by the next segment
        kept.append(segment)
    return kept, max(end_ms, _end_of(kept))


def _end_of(segments: list[dict[str, Any]]) -> int:
    return max((int(s["end_ms"]) for s in segments), default=0)


def _pause_before(segment: dict[str, Any], kept: list[dict[str, Any]], start_ms: int) -> int:
    """The middle of the pause before ``segment``, or LEAD_MS before it in a long pause."""
    after = max(_end_of(kept), start_ms)
    return max((after + int(segment["start_ms"])) // 2, int(segment["start_ms"]) - LEAD_MS, start_ms + 1)


async def run_transcribe(ctx: InferenceContext, path: Path, cfg: TranscriptionConfig) -> AnalyzerOutput:
    async with ctx.use_model() as model:
        duration = await ctx.in_thread(frames.duration_ms, path)  # raises VideoUnreadable for a non-video
        listen_until = None if ctx.end_ms is None else ctx.end_ms + LISTEN_PAST_MS
        audio, ended = await ctx.in_thread(frames.decode_audio, path, ctx.cancel, ctx.start_ms / 1000,
                                           None if listen_until is None else listen_until / 1000)
        items: list[dict[str, Any]] = []
        covered = ctx.end_ms
        if audio.size:  # a silent video has an empty transcript, not an error
            [(segments, language)] = await ctx.model_call(model, [audio], cfg, cancel=ctx.cancel)
            heard_until = ctx.start_ms + round(audio.size * 1000 / frames.AUDIO_RATE)
            # Times from the video's start, and inside the audio heard: Whisper's last
            # timestamp in a window can point past the end of the audio.
            segments = [{**s, "start_ms": min(s["start_ms"] + ctx.start_ms, heard_until),
                         "end_ms": min(s["end_ms"] + ctx.start_ms, heard_until)} for s in segments]
            if ctx.end_ms is not None:
                segments, covered = heard_whole(segments, ctx.start_ms, ctx.end_ms, heard_until, ended)
            items = transcript_items(segments, language)
        return AnalyzerOutput(items=items, duration_ms=duration, producer="reelscan-ml/transcribe",
                              library=model.library, library_version=model.library_version,
                              model_profile=model.profile, end_ms=covered)
