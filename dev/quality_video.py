"""The ground-truth video of `make bench-quality`: generated from a seed, so its content
is known exactly and runs compare.

Chapters of CHAPTER_S seconds, each with:
- a background: a panning texture, a photograph (scikit-image's data: coffee, a
  rocket, a page of print, a cat, cells), the shot before again, slightly moved and
  re-lit, or a dim grey texture (night, a dull room), sometimes followed by another
  one: hard cuts between similar shots, which a detector can miss;
- the way in: a hard cut, or (every FADE_EVERY-th chapter) a fade through black;
- one on-screen word in a style of its own: size, colour, on a plate or straight on
  the busy background, still or scrolling along a lower third;
- one spoken sentence with a keyword of its own, in one of several synthetic voices
  and speeds, some under background noise;
- in the second half only, in two chapters of three: a real photograph of a face
  (scikit-image's ``astronaut``) pasted at a known place and size, some small, some
  turned. The first half shows no face at all.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import sample_videos as sv

SIZE = (1280, 720)
CHAPTER_S = 10
FADE_EVERY = 6  # chapters 6, 12, 18 ... come in through black
FADE_S = 1.0
RATE = 22050
SCREEN_WORDS = ("HARBOR", "Exit 12", "CEDAR", "Budget", "FALCON", "MAPLE", "Opal", "QUARTZ", "RIVER", "Station 9",
                "TUNDRA", "VELVET", "Willow", "XENON", "YARROW", "ZEPHYR", "AMBER", "Bridge", "CANYON", "Delta 4",
                "EMBER", "Forest", "GARNET", "HELIX")
SPOKEN_WORDS = ("garden", "window", "yellow", "market", "engine", "winter", "silver", "doctor", "island", "pocket",
                "mountain", "kitchen", "rabbit", "orange", "letter", "camera", "planet", "bottle", "ticket", "candle",
                "forest", "button", "castle", "dinner")
SENTENCE = "In this part we look at the {word}, and then we move on."
VOICES = (("en-us", 150), ("en-gb", 175), ("en-us+f3", 140), ("en-gb-x-rp", 190), ("en-us+m3", 165))
NOISE_SNR_DB = (None, None, 20.0, None, 10.0)  # per chapter, cycling
# Face sizes (the pasted patch; the face is its middle half) and turns, cycling.
FACE_SIZES = (320, 160, 96, 200, 128)
FACE_TURNS = (0, 20, 0, -30, 10)
_FACE_PATCH = (115, 15, 315, 215)  # the astronaut's head in skimage's 512x512 image
PAGE = 2  # photos()[PAGE] is a page of print


@dataclass
class Truth:
    seconds: int
    fps: int
    hard_cuts_ms: list[int] = field(default_factory=list)
    fades_ms: list[int] = field(default_factory=list)  # the middle of each fade
    screen_words: list[dict[str, Any]] = field(default_factory=list)  # word, start_ms, end_ms
    spoken: list[dict[str, Any]] = field(default_factory=list)  # sentence, keyword, start_ms
    faces: list[dict[str, Any]] = field(default_factory=list)  # start_ms, end_ms, box (x1, y1, x2, y2)
    print_ms: list[list[int]] = field(default_factory=list)  # chapters over a page of print: words of its own
    face_free_ms: int = 0


def texture(rng: np.random.Generator, cells: int = 40) -> np.ndarray:
    w, h = SIZE
    small = rng.integers(0, 255, (h // cells + 2, w // cells + 2, 3), dtype=np.uint8)
    return cv2.resize(small, (w + 2 * cells, h), interpolation=cv2.INTER_CUBIC)


def similar_shot(image: np.ndarray) -> np.ndarray:
    """Another shot of much the same thing: the camera moved a little, the light a touch brighter."""
    return np.clip(np.roll(image, 24, axis=1).astype(np.int16) + 8, 0, 255).astype(np.uint8)


def dim(image: np.ndarray) -> np.ndarray:
    """A dull, dark version of a shot: little colour, little light."""
    grey = cv2.cvtColor(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)
    return (grey * 0.3 + 10).astype(np.uint8)


def photos() -> list[np.ndarray]:
    from skimage import data

    page = cv2.cvtColor(data.page(), cv2.COLOR_GRAY2RGB)
    return [cv2.resize(img, (SIZE[0] + 80, SIZE[1]), interpolation=cv2.INTER_AREA)
            for img in (data.coffee(), data.rocket(), page, data.chelsea(), data.immunohistochemistry())]


# scikit-image's photographs with no text in them (looked at; coins and the page have text).
TEXTLESS = ("chelsea", "coffee", "astronaut", "camera", "immunohistochemistry", "hubble_deep_field", "retina",
            "rocket", "horse", "brick", "grass", "gravel", "moon", "colorwheel")


def textless_video(path: Path, seconds_each: float = 4.0) -> Path:
    """Real photographs without text, one after another, each panned slowly: OCR must read nothing."""
    from skimage import data

    def frames() -> Any:
        n = round(seconds_each * sv.FPS)
        for name in TEXTLESS:
            image = np.asarray(getattr(data, name)())
            image = (image.astype(np.uint8) * 255 if image.dtype == bool else image.astype(np.uint8))
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB) if image.ndim == 2 else image[..., :3]
            wide = cv2.resize(image, (SIZE[0] + n, SIZE[1]), interpolation=cv2.INTER_AREA)
            for k in range(n):
                yield np.ascontiguousarray(wide[:, k:k + SIZE[0]])

    return sv.write_video(path, frames(), options={"preset": "veryfast"})


def face_patch(size: int, turn: float) -> tuple[np.ndarray, np.ndarray]:
    """The astronaut's head, ``size`` px square, turned by ``turn`` degrees, and its mask."""
    from skimage import data

    x1, y1, x2, y2 = _FACE_PATCH
    patch = cv2.resize(data.astronaut()[y1:y2, x1:x2], (size, size), interpolation=cv2.INTER_AREA)
    mask = np.full((size, size), 255, np.uint8)
    if turn:
        rot = cv2.getRotationMatrix2D((size / 2, size / 2), turn, 1.0)
        patch = cv2.warpAffine(patch, rot, (size, size), flags=cv2.INTER_LINEAR)
        mask = cv2.warpAffine(mask, rot, (size, size), flags=cv2.INTER_NEAREST)
    return patch, mask


def make(path: Path, chapters: int = 24, seed: int = 13) -> Truth:
    """Write the video to ``path``; returns what is in it."""
    rng = np.random.default_rng(seed)
    truth = Truth(seconds=chapters * CHAPTER_S, fps=sv.FPS)
    backgrounds = _backgrounds(rng, chapters, truth)
    faces = _faces(rng, chapters, truth)
    styles = _captions(chapters, truth)
    for n in range(1, chapters):
        (truth.fades_ms if n % FADE_EVERY == 0 else truth.hard_cuts_ms).append(_ms(n))
    audio = _speech(rng, chapters, truth)
    frames = (_frame(i, chapters, backgrounds[i // (CHAPTER_S * sv.FPS)], styles, faces)
              for i in range(truth.seconds * sv.FPS))
    sv.write_video(path, frames, (audio, RATE), options={"preset": "veryfast"})
    return truth


def _ms(chapter: int) -> int:
    return chapter * CHAPTER_S * 1000


def _backgrounds(rng: np.random.Generator, chapters: int, truth: Truth) -> list[np.ndarray]:
    shots = photos()
    backgrounds: list[np.ndarray] = []
    for n in range(chapters):
        kind, shot = n % 4, (n // 4) % len(shots)
        if kind == 1:
            backgrounds.append(shots[shot])
        elif kind == 2:
            backgrounds.append(similar_shot(backgrounds[-1]))
        elif kind == 3 or (n and n % 8 == 4):  # a dim, grey shot (night, a dull room), sometimes two
            backgrounds.append(dim(texture(rng)))
        else:
            backgrounds.append(texture(rng))
        if kind in (1, 2) and shot == PAGE:
            truth.print_ms.append([_ms(n), _ms(n + 1)])
    return backgrounds


_Face = tuple[np.ndarray, np.ndarray, int, int]  # patch, mask, x, y


def _faces(rng: np.random.Generator, chapters: int, truth: Truth) -> dict[int, _Face]:
    """Faces in two chapters of three of the second half; none in the first."""
    half = chapters // 2
    faces: dict[int, _Face] = {}
    for n in (n for n in range(half, chapters) if (n - half) % 3 != 2):
        size, turn = FACE_SIZES[n % len(FACE_SIZES)], FACE_TURNS[n % len(FACE_TURNS)]
        patch, mask = face_patch(size, turn)
        x, y = int(rng.integers(40, SIZE[0] - size - 40)), int(rng.integers(40, SIZE[1] - size - 200))
        faces[n] = (patch, mask, x, y)
        q = size // 4
        truth.faces.append({"start_ms": _ms(n), "end_ms": _ms(n + 1),
                            "box": [x + q, y + q, x + size - q, y + size - q], "size": size, "turn": turn})
    truth.face_free_ms = _ms(chapters - len(faces))
    return faces


_Caption = tuple[str, float, tuple[int, int, int], bool, bool]  # word, scale, colour, plate, moving


def _captions(chapters: int, truth: Truth) -> list[_Caption]:
    captions: list[_Caption] = []
    for n in range(chapters):
        word = SCREEN_WORDS[n] if chapters <= len(SCREEN_WORDS) else f"{SCREEN_WORDS[n % len(SCREEN_WORDS)]}{n}"
        scale = (1.4, 2.2, 3.2, 1.1)[n % 4]
        colour = ((255, 255, 255), (255, 230, 0), (20, 20, 20), (0, 200, 255))[n % 4]
        plate = n % 3 != 1  # one in three straight on the background
        moving = n % 5 == 4  # a lower third that scrolls
        captions.append((word, scale, colour, plate, moving))
        truth.screen_words.append({"word": word, "start_ms": _ms(n), "end_ms": _ms(n + 1), "moving": moving,
                                   "plate": plate})
    return captions


def _frame(i: int, chapters: int, background: np.ndarray, captions: list[_Caption],
           faces: dict[int, _Face]) -> np.ndarray:
    per_chapter = CHAPTER_S * sv.FPS
    n, k = divmod(i, per_chapter)
    pan = k * (background.shape[1] - SIZE[0]) // per_chapter  # the camera pans, steadily
    image = np.ascontiguousarray(background[:, pan:pan + SIZE[0]])
    word, scale, colour, plate, moving = captions[n]
    thickness = max(2, int(scale * 3))
    (tw, th), _ = cv2.getTextSize(word, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
    if moving:
        x, y = SIZE[0] - 40 - tw - int(k / per_chapter * (SIZE[0] - tw - 120)), SIZE[1] - 70
    else:
        x, y = (SIZE[0] - tw) // 2, 120 + th
    if plate:
        shade = (0, 0, 0) if colour != (20, 20, 20) else (235, 235, 235)
        cv2.rectangle(image, (x - 20, y - th - 20), (x + tw + 20, y + 20), shade, -1)
    cv2.putText(image, word, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, colour, thickness, cv2.LINE_AA)
    if n in faces:
        patch, mask, fx, fy = faces[n]
        region = image[fy:fy + patch.shape[0], fx:fx + patch.shape[1]]
        region[mask > 0] = patch[mask > 0]
    half_fade = FADE_S / 2 * sv.FPS
    if n % FADE_EVERY == 0 and n and k < half_fade:  # fading in from black
        image = (image * (k / half_fade)).astype(np.uint8)
    if (n + 1) % FADE_EVERY == 0 and n + 1 < chapters and k >= per_chapter - half_fade:  # fading out
        image = (image * ((per_chapter - k) / half_fade)).astype(np.uint8)
    return image


def _speech(rng: np.random.Generator, chapters: int, truth: Truth) -> np.ndarray:
    audio = np.zeros(truth.seconds * RATE, np.int16)
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(chapters):
            keyword = SPOKEN_WORDS[n % len(SPOKEN_WORDS)]
            sentence = SENTENCE.format(word=keyword)
            voice, wpm = VOICES[n % len(VOICES)]
            samples, rate = sv._read_wav(sv._espeak_wav(sentence, Path(tmp) / f"{n}.wav", voice, wpm))
            assert rate == RATE, rate
            start = int((n * CHAPTER_S + 1.5) * RATE)  # after a pause
            piece = samples[: max(0, min(len(samples), len(audio) - start))].astype(np.float64)
            snr = NOISE_SNR_DB[n % len(NOISE_SNR_DB)]
            chapter = slice(n * CHAPTER_S * RATE, (n + 1) * CHAPTER_S * RATE)
            if snr is not None:  # noise over the whole chapter, at this SNR to the speech
                level = np.sqrt(np.mean(piece ** 2)) / (10 ** (snr / 20))
                audio[chapter] = np.clip(rng.normal(0, level, audio[chapter].shape), -32767, 32767).astype(np.int16)
            audio[start:start + len(piece)] = np.clip(audio[start:start + len(piece)] + piece, -32767, 32767)
            truth.spoken.append({"sentence": sentence, "keyword": keyword, "voice": voice, "wpm": wpm,
                                 "snr_db": snr, "start_ms": int((n * CHAPTER_S + 1.5) * 1000)})
    return audio


def iou(a: list[float], b: list[float]) -> float:
    """Intersection over union of two (x1, y1, x2, y2) boxes."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())
