"""Response models of search and of a video's summary (shown at /docs)."""

from __future__ import annotations

from dataclasses import asdict

from pydantic import BaseModel, Field

from reelscan_shared.domain.search import LabelCount, LabelKind, TextHit, TextKind, VideoAppearances


def frame_url(video_id: str, t_ms: int) -> str:
    """Where a client gets the frame of a moment (GET /videos/{id}/frame)."""
    return f"/videos/{video_id}/frame?t_ms={t_ms}"


class TextHitOut(BaseModel):
    artifact_id: str
    video_id: str
    path: str
    kind: TextKind
    start_ms: int
    end_ms: int
    text: str
    highlight: str = Field(description="The text, HTML-escaped, with the matching words in <mark>…</mark>")
    score: float
    fuzzy: bool = Field(description="Found only with OCR's confusable characters folded together (e.g. 'EXlT' "
                                    "for 'exit'); no word matched exactly, so nothing is marked")
    match_ms: int = Field(description="When the first matching word is said (estimated within the sentence, "
                                      "at an even pace) or shown; where a player should jump to")
    frame_url: str = Field(description="The frame at match_ms")

    @classmethod
    def of(cls, h: TextHit) -> TextHitOut:
        return cls(**vars(h), frame_url=frame_url(h.video_id, h.match_ms))  # vars: asdict deep-copies every field


class TextSearchOut(BaseModel):
    items: list[TextHitOut]
    next_cursor: str | None = Field(None, description="Pass as `cursor` (with the same q, types and video_id) for "
                                                      "the next page; null on the last page")


class SpanOut(BaseModel):
    start_ms: int
    end_ms: int
    frame_url: str


class VideoAppearancesOut(BaseModel):
    video_id: str
    path: str
    label: str
    on_screen_ms: int = Field(description="Time it is on screen: its spans merged where they overlap, each sample "
                                          "counting for its sampling interval")
    best_confidence: float
    span_count: int
    spans: list[SpanOut] = Field(description="The first spans, in time order (span_count says how many in all)")

    @classmethod
    def of(cls, a: VideoAppearances) -> VideoAppearancesOut:
        return cls(video_id=a.video_id, path=a.path, label=a.label, on_screen_ms=a.on_screen_ms,
                   best_confidence=a.best_confidence, span_count=a.span_count,
                   spans=[SpanOut(start_ms=s.start_ms, end_ms=s.end_ms, frame_url=frame_url(a.video_id, s.start_ms))
                          for s in a.spans])


class LabelSearchOut(BaseModel):
    items: list[VideoAppearancesOut]
    total: int = Field(description="Videos (per label) that match")
    limit: int
    offset: int


class LabelCountOut(BaseModel):
    kind: LabelKind
    label: str
    artifacts: int
    videos: int

    @classmethod
    def of(cls, c: LabelCount) -> LabelCountOut:
        return cls(**asdict(c))


class LabelsOut(BaseModel):
    items: list[LabelCountOut]


class TextReadOut(BaseModel):
    text: str
    start_ms: int = Field(description="First read")
    end_ms: int = Field(description="Last read")
    sightings: int
    frame_url: str = Field(description="The frame where it was first read")


class LabelTimeOut(BaseModel):
    label: str
    on_screen_ms: int
    span_count: int
    first_ms: int = Field(description="Where it first appears")
    frame_url: str = Field(description="The frame where it first appears")


class SummaryOut(BaseModel):
    video_id: str
    path: str
    duration_ms: int | None
    percent: float | None
    eta_s: float | None
    objects: list[LabelTimeOut] = Field(description="Most time on screen first")
    places: list[LabelTimeOut]
    faces_on_screen_ms: int
    text_read: list[TextReadOut] = Field(description="On-screen text, most often read first")
    scene_count: int | None = Field(description="null until scene detection has completed")
    transcript_excerpt: str = Field(description="The transcript's beginning")
