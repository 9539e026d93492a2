"""Artifact payload schemas, one versioned model per artifact type.

A payload is validated before it is stored; a change of shape gets a new model
(``...V2``) and a new ``schema_version`` so old rows stay readable. Which artifact
type uses which model and version is said once, in ``reelscan_shared.analyses``.
Boxes are in pixels of the decoded frame, with the frame size alongside so a
client can scale them.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

Confidence = Annotated[float, Field(ge=0.0, le=1.0)]
NonNegativeMs = Annotated[int, Field(ge=0)]


class Payload(BaseModel):
    """Base of every artifact payload: strict (unknown keys refused) and immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class BoundingBox(Payload):
    x1: float = Field(ge=0)
    y1: float = Field(ge=0)
    x2: float = Field(ge=0)
    y2: float = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> BoundingBox:
        if self.x2 < self.x1 or self.y2 < self.y1:
            raise ValueError("box corners must satisfy x1 <= x2 and y1 <= y2")
        return self

    def fits(self, width: int, height: int) -> bool:
        """Inside a frame of this size, with one pixel of slack: detectors round box
        edges outwards."""
        return self.x2 <= width + 1 and self.y2 <= height + 1


class _FrameDetection(Payload):
    frame_ms: NonNegativeMs
    frame_width: int = Field(gt=0)
    frame_height: int = Field(gt=0)
    box: BoundingBox
    confidence: Confidence

    @model_validator(mode="after")
    def _box_inside_frame(self) -> _FrameDetection:
        if not self.box.fits(self.frame_width, self.frame_height):
            raise ValueError("box lies outside the frame")
        return self


class ObjectDetectionV1(_FrameDetection):
    label: str = Field(min_length=1)
    class_id: int = Field(ge=0)


class FaceDetectionV1(_FrameDetection):
    pass


class _Span(Payload):
    start_ms: NonNegativeMs  # where it starts (for spans of samples: the first sample it is in)
    end_ms: NonNegativeMs  # where it ends (the last sample it is in)

    @model_validator(mode="after")
    def _ordered_span(self) -> _Span:
        if self.end_ms < self.start_ms:
            raise ValueError("end_ms must not be before start_ms")
        return self


class TranscriptSegmentV1(_Span):
    text: str = Field(min_length=1)
    language: str = Field(min_length=2)
    avg_logprob: float | None = None
    no_speech_prob: Confidence | None = None


class OCRTextV1(_FrameDetection):
    text: str = Field(min_length=1)


class PlaceClass(Payload):
    label: str = Field(min_length=1)
    class_id: int = Field(ge=0)
    score: Confidence


class PlaceClassificationV1(Payload):
    frame_ms: NonNegativeMs
    top_k: list[PlaceClass] = Field(min_length=1)

    @model_validator(mode="after")
    def _sorted(self) -> PlaceClassificationV1:
        scores = [c.score for c in self.top_k]
        if scores != sorted(scores, reverse=True):
            raise ValueError("top_k must be sorted by descending score")
        return self


class SceneV1(Payload):
    scene_index: int = Field(ge=0)
    start_ms: NonNegativeMs
    end_ms: NonNegativeMs
    start_frame: int = Field(ge=0)
    end_frame: int = Field(ge=0)

    @model_validator(mode="after")
    def _span(self) -> SceneV1:
        if self.end_ms <= self.start_ms or self.end_frame < self.start_frame:
            raise ValueError("a scene must end after it starts")
        return self


# Spans (schema version 2): what was seen, from the first to the last sampled frame it
# was seen in, instead of one row per sampled frame (version 1, still written with
# "emit": "frames" in the analysis's config, and still readable).


class Sighting(Payload):
    """One sampled frame of a track: where the box was and how sure the model was."""

    frame_ms: NonNegativeMs
    box: BoundingBox
    confidence: Confidence


class _Track(_Span):
    frame_width: int = Field(gt=0)
    frame_height: int = Field(gt=0)
    sightings: list[Sighting] = Field(min_length=1)
    best_confidence: Confidence
    mean_confidence: Confidence

    @model_validator(mode="after")
    def _consistent(self) -> _Track:
        times = [s.frame_ms for s in self.sightings]
        if times != sorted(set(times)) or (times[0], times[-1]) != (self.start_ms, self.end_ms):
            raise ValueError("sightings must be in time order, one per frame, from start_ms to end_ms")
        if not all(s.box.fits(self.frame_width, self.frame_height) for s in self.sightings):
            raise ValueError("a sighting's box lies outside the frame")
        scores = [s.confidence for s in self.sightings]
        if abs(self.best_confidence - max(scores)) > 1e-6 or not min(scores) - 1e-6 <= self.mean_confidence <= max(
                scores) + 1e-6:
            raise ValueError("best_confidence and mean_confidence must summarise the sightings")
        return self


class ObjectDetectionV2(_Track):
    """An object tracked across sampled frames (same label, overlapping boxes)."""

    label: str = Field(min_length=1)
    class_id: int = Field(ge=0)


class FaceDetectionV2(_Track):
    """A face tracked across sampled frames (overlapping boxes)."""


class OCRTextV2(_Span):
    """The same text (normalised) at the same place on consecutive sampled frames."""

    text: str = Field(min_length=1)
    frame_width: int = Field(gt=0)
    frame_height: int = Field(gt=0)
    box: BoundingBox  # where it was read with the best confidence
    best_confidence: Confidence
    mean_confidence: Confidence
    sightings: int = Field(ge=1, description="Sampled frames it was read in")

    @model_validator(mode="after")
    def _box_inside_frame(self) -> OCRTextV2:
        if not self.box.fits(self.frame_width, self.frame_height):
            raise ValueError("box lies outside the frame")
        if self.mean_confidence > self.best_confidence + 1e-6:
            raise ValueError("mean_confidence cannot exceed best_confidence")
        return self


class PlaceClassificationV2(_Span):
    """Consecutive sampled frames whose most likely place is the same."""

    label: str = Field(min_length=1)
    class_id: int = Field(ge=0)
    best_score: Confidence
    mean_score: Confidence
    samples: int = Field(ge=1)

    @model_validator(mode="after")
    def _scores(self) -> PlaceClassificationV2:
        if self.mean_score > self.best_score + 1e-6:
            raise ValueError("mean_score cannot exceed best_score")
        return self
