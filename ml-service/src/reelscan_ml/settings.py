from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from reelscan_ml.models.profiles import ANALYSES_WITH_MODELS, ModelProfile, chosen_profiles
from reelscan_shared.domain.tasks import TaskType
from reelscan_shared.settings import CommonSettings


def _csv(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


class MLSettings(CommonSettings):
    ml_host: str = Field("127.0.0.1", alias="ML_HOST", description="Loopback by default: internal only")
    ml_port: int = Field(8001, alias="ML_PORT", description="port the ML service listens on")
    gpu_concurrency: int = Field(
        2, alias="GPU_CONCURRENCY", description="model executions at once (the GPU semaphore)", ge=1
    )
    ml_max_waiting: int = Field(
        8, alias="ML_MAX_WAITING", ge=0, description="Requests admitted beyond GPU_CONCURRENCY; the next gets 503"
    )
    ml_request_timeout: float = Field(
        540.0,
        alias="ML_REQUEST_TIMEOUT",
        gt=0,
        description="Seconds before a request ends with 504 (below the worker's "
        "ML_TIMEOUT_SECONDS, so the worker hears why)",
    )
    ml_batch_size: int = Field(0, alias="ML_BATCH_SIZE", ge=0, description="Frames per model call; 0 = per model")
    model_cache_dir: Path = Field(
        Path("./.reelscan/models"),
        alias="MODEL_CACHE_DIR",
        description="the one place weights live (and manifest.json)",
    )
    model_mirror_url: str | None = Field(
        None, alias="MODEL_MIRROR_URL", description="`models pull` fetches {mirror}/{file name} instead"
    )
    model_auto_pull: bool = Field(
        True,
        alias="MODEL_AUTO_PULL",
        description="At start-up, fetch in the background (as `models pull` does, MODEL_MIRROR_URL honoured) the "
        "weights of each configured analysis whose trained weights are missing, never blocking start-up. "
        "Offline, /health and one log line per analysis say what is missing and the command that gets it",
    )
    model_fetch_retry_s: float = Field(
        3600.0,
        alias="MODEL_FETCH_RETRY_SECONDS",
        ge=0,
        description="With MODEL_AUTO_PULL, a failed fetch is tried again after this long, then after twice as "
        "long each time, up to a day (a host that comes online later gets its weights); 0 = only at start-up",
    )
    ml_preload: str = Field(
        "", alias="ML_PRELOAD", description="Analyses (task types) whose models load at start-up, or 'all'"
    )
    model_ttl: float = Field(0.0, alias="MODEL_TTL", ge=0, description="Unload a model idle this long; 0 = never")
    device: Literal["auto", "cpu", "cuda"] = Field(
        "auto", alias="ML_DEVICE", description="auto, cpu or cuda (cuda without a GPU fails start-up)"
    )
    require_gpu: bool = Field(
        False,
        alias="REQUIRE_GPU",
        description="refuse to start without a CUDA device, with a message saying what to check",
    )
    torch_threads: int = Field(0, alias="TORCH_THREADS", ge=0, description="0 = torch's default")
    objects_model: str = Field(
        "yolov3-tiny",
        alias="OBJECTS_MODEL",
        description="object detection profile (see *Models*): yolov3-tiny (trained weights in a package, "
        "runs offline), or yolo11n, yolo11s, ... after `reelscan-ml models pull object_detection`",
    )
    faces_model: str = Field("blazeface-full", alias="FACES_MODEL", description="face detection profile")
    transcribe_engine: str = Field(
        "faster-whisper",
        alias="TRANSCRIBE_ENGINE",
        description="faster-whisper (CTranslate2) or openai-whisper (PyTorch checkpoints)",
    )
    transcribe_model: str = Field("tiny.en", alias="TRANSCRIBE_MODEL", description="Whisper size, e.g. tiny.en, base")
    ocr_engine: str = Field(
        "rapidocr", alias="OCR_ENGINE", description="rapidocr (PP-OCR, fastest on CPU) or easyocr (OCR_LANGS)"
    )
    ocr_langs: str = Field(
        "en",
        alias="OCR_LANGS",
        description="Comma-separated EasyOCR language codes: the "
        "recogniser's languages (EasyOCR) and the scripts OCR keeps (both engines)",
    )
    places_model: str = Field("resnet18-places365", alias="PLACES_MODEL", description="place classification profile")
    allow_untrained: bool = Field(
        False,
        alias="ALLOW_UNTRAINED",
        description="Run an analysis whose model has no trained weights on its untrained network (random "
        "weights; model_profile says untrained). For tests only: off, such requests are refused "
        "(424, reason untrained) and their tasks wait, BLOCKED, for the weights",
    )
    weights_check_s: float = Field(
        30.0,
        alias="WEIGHTS_CHECK_SECONDS",
        gt=0,
        description="How often the service looks again for the weights of models not loaded (weights pulled "
        "or copied in while it runs), so /health says an analysis became runnable",
    )

    @field_validator("ml_preload")
    @classmethod
    def _known_analyses(cls, value: str) -> str:
        unknown = set(_csv(value)) - {*ANALYSES_WITH_MODELS, "all"}
        if unknown:
            raise ValueError(
                f"unknown analyses {sorted(unknown)}; use any of {[a.value for a in ANALYSES_WITH_MODELS]} or 'all'"
            )
        return value

    @model_validator(mode="after")
    def _known_profiles(self) -> MLSettings:
        self.profiles()  # an unknown model name fails start-up with the list of choices
        return self

    @property
    def preload(self) -> tuple[TaskType, ...]:
        names = _csv(self.ml_preload)
        return ANALYSES_WITH_MODELS if "all" in names else tuple(TaskType(n) for n in names)

    @property
    def text_langs(self) -> tuple[str, ...]:
        """OCR_LANGS: the languages whose characters OCR keeps (whatever the engine reads)."""
        return _csv(self.ocr_langs) or ("en",)

    def profiles(self) -> dict[TaskType, ModelProfile]:
        return chosen_profiles(
            self.objects_model,
            self.faces_model,
            (self.transcribe_engine, self.transcribe_model),
            self.ocr_engine,
            _csv(self.ocr_langs) or ("en",),
            self.places_model,
        )
