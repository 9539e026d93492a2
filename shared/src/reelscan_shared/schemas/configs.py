"""Per-analysis configs: what a task runs with, with its defaults, defined once.

The API validates ``ANALYSIS_CONFIG`` overrides against these models at start-up and
stores the full config on each new task; the ML service validates each request
against the same model (unknown keys or bad values answer 422).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# "spans": one artifact per thing seen, from its first to its last sampled frame (tracks
# for objects and faces, text spans, place spans); "frames": one per sampled frame.
Emit = Literal["spans", "frames"]


class AnalysisConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FrameConfig(AnalysisConfig):
    """Analyses of frames sampled every ``frame_interval_s`` seconds."""

    frame_interval_s: float = Field(1.0, gt=0, le=3600)
    min_confidence: float = Field(0.25, ge=0, le=1)
    max_frames: int = Field(10_000, ge=1, le=1_000_000)
    max_detections: int = Field(100, ge=1, le=1000, description="Per frame")
    emit: Emit = "spans"
    min_iou: float = Field(0.3, gt=0, le=1, description="Box overlap that links sightings into one span")
    max_shift: float = Field(1.5, ge=0, le=10, description="Or: how far (in box sizes) a box's centre may move "
                                                           "between samples and still be the same thing")
    max_gap_samples: int = Field(1, ge=0, le=1000,
                                 description="Sampled frames a span may go unseen and still go on")


class ObjectsConfig(FrameConfig):
    # Calibrated by make bench-objects for the default model (yolov3-tiny) on labelled
    # photographs in 1280x720 frames: precision/recall 0.56/0.83 at 0.25 (ultralytics'
    # own default), 0.83/0.83 at 0.4, 0.80/0.67 at 0.5. Its false labels scored 0.20-0.38
    # (a ball in the moon, a cat in a micrograph); the objects shown 0.42-0.98.
    min_confidence: float = Field(0.4, ge=0, le=1)


class FacesConfig(FrameConfig):
    frame_interval_s: float = Field(3.0, gt=0, le=3600)
    # Calibrated by make bench-quality for the default model (blazeface-full): its second
    # stage scores real faces (small, turned) about 0.9 and the textures, photographs
    # and print its first look took for faces at most 0.67.
    min_confidence: float = Field(0.75, ge=0, le=1)


class OCRConfig(FrameConfig):
    frame_interval_s: float = Field(2.0, gt=0, le=3600)
    # Calibrated by make bench-quality (every shown word's best reading scored 0.96+ with
    # RapidOCR, 0.70+ with EasyOCR; the misreadings of textures and photos that 0.3 let
    # through scored 0.08-0.6): 0.6 drops 3 of RapidOCR's 6 false words and 2 of
    # EasyOCR's 3, and no word shown. Lower it for blurred or small text in real footage.
    min_confidence: float = Field(0.6, ge=0, le=1)
    # make bench-quality: every false word read on footage without text (textures, photos,
    # faces) was one glyph or a character of another script; every word shown has 2+.
    min_text_chars: int = Field(2, ge=0, le=100, description=(
        "A reading with fewer letters or digits (after only_langs) is dropped: a lone glyph is "
        "what shapes are misread as"))
    only_langs: bool = Field(True, description=(
        "Keep only the letters of OCR_LANGS' scripts (RapidOCR reads Chinese and English "
        "whatever OCR_LANGS says)"))
    # The same words are one span wherever their boxes overlap at all.
    min_iou: float = Field(0.01, gt=0, le=1, description="Box overlap that links sightings into one span")
    max_shift: float = Field(0.0, ge=0, le=10, description="Text that moved without overlapping is new text")
    reuse_unchanged: bool = Field(True, description="Do not read a frame again that has not changed since "
                                                    "the last frame read: reuse what was read")


class PlacesConfig(AnalysisConfig):
    frame_interval_s: float = Field(5.0, gt=0, le=3600)
    top_k: int = Field(5, ge=1, le=365)
    max_frames: int = Field(10_000, ge=1, le=1_000_000)
    emit: Emit = "spans"


class TranscriptionConfig(AnalysisConfig):
    language: str | None = Field("en", min_length=2, max_length=8, pattern=r"^[A-Za-z_-]+$",
                                 description="A language code (en, de, zh...); null: detect")


class ScenesConfig(AnalysisConfig):
    threshold: float = Field(27.0, gt=0, le=255, description="ContentDetector: change in colour and edges")
    hash_threshold: float = Field(0.40, ge=0, le=1, description="HashDetector beside it: share of a frame's "
                                                                  "perceptual hash that changes (0: off)")
    min_scene_len_s: float = Field(0.5, ge=0, le=3600)
    # Chosen by make bench-quality's scene cases (cuts under a lower third, a slide frame,
    # letterbox bars, between similar moving textures; pans and fades without a cut).
    adaptive_threshold: float = Field(3.0, ge=0, le=255, description=(
        "A third detector beside them: a cut where a frame's change is this many times the "
        "largest of its neighbours' (6 frames each side), measured on the pixels that do not "
        "stay the same across it (overlays, bars, slide frames left out); 0: off"))
    adaptive_min_change: float = Field(8.0, ge=0, le=255, description=(
        "The least change (ContentDetector's scale, over the pixels that move) that the "
        "adaptive detector calls a cut"))
    mask_static: bool = Field(True, description=(
        "Adaptive detector: leave out the pixels that stay the same around a candidate cut "
        "(a logo, a lower third, letterbox bars)"))
