"""What the library can be searched for, and what a search finds.

Text search (transcripts, on-screen text) takes the query language people know
from web search engines: words (all must match, stemmed), "quoted phrases", ``or``,
``-excluded`` words, and ``prefix*`` words. Label search answers "which videos show
X": per video, where it appears and for how long.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from reelscan_shared.domain.artifacts import ArtifactType

MAX_QUERY_CHARS = 500
# What one query may ask of PostgreSQL (issue 26: 166 one-letter prefixes kept it busy
# 44.5 s over 200k rows). A prefix expands to every lexeme that starts with it, so
# prefixes are few, distinct and at least a few letters long; words are capped too.
MAX_PREFIXES = 3
MIN_PREFIX_CHARS = 3
MAX_TERMS = 32
_PREFIX = re.compile(r"(?<![\w\"-])(\w+)\*")  # a word ending in * that is not in a phrase's middle


class InvalidQuery(ValueError):
    """A search that cannot be run as asked (the API answers 422 with the message)."""


class TextKind(enum.StrEnum):
    """The searchable texts, by the names the API takes (``types=transcript,ocr``)."""

    TRANSCRIPT = "transcript"
    OCR = "ocr"

    @property
    def artifact_type(self) -> ArtifactType:
        return {TextKind.TRANSCRIPT: ArtifactType.TRANSCRIPT_SEGMENT, TextKind.OCR: ArtifactType.OCR_TEXT}[self]


class LabelKind(enum.StrEnum):
    """What has labels: detected objects, faces (all labelled "face"), places."""

    OBJECTS = "objects"
    FACES = "faces"
    PLACES = "places"

    @property
    def artifact_type(self) -> ArtifactType:
        return {LabelKind.OBJECTS: ArtifactType.OBJECT_DETECTION, LabelKind.FACES: ArtifactType.FACE_DETECTION,
                LabelKind.PLACES: ArtifactType.PLACE_CLASSIFICATION}[self]


@dataclass(frozen=True)
class ParsedQuery:
    """A text query split for PostgreSQL: ``words`` for websearch_to_tsquery (phrases,
    or, -words as typed) and the ``prefixes`` (letters and digits only, so they are
    safe to give to to_tsquery with ``:*``)."""

    words: str
    prefixes: tuple[str, ...]


def parse_text_query(q: str) -> ParsedQuery:
    q = q.strip()
    if not q:
        raise InvalidQuery("q must not be empty")
    if len(q) > MAX_QUERY_CHARS:
        raise InvalidQuery(f"q is longer than {MAX_QUERY_CHARS} characters")
    if "\x00" in q:  # PostgreSQL text cannot hold it
        raise InvalidQuery("q must not contain a NUL character")
    prefixes = tuple(dict.fromkeys(m.lower() for m in _PREFIX.findall(q)))  # distinct, in order
    words = " ".join(_PREFIX.sub(" ", q).split())
    if not re.search(r"\w", words) and not prefixes:
        raise InvalidQuery("q has no word to search for")
    _check_bounds(words, prefixes)
    return ParsedQuery(words=words, prefixes=prefixes)


def _check_bounds(words: str, prefixes: tuple[str, ...]) -> None:
    short = [p for p in prefixes if len(p) < MIN_PREFIX_CHARS]
    if short:
        raise InvalidQuery(f"prefix {short[0]}* is too short: a prefix needs at least {MIN_PREFIX_CHARS} letters")
    if len(prefixes) > MAX_PREFIXES:
        raise InvalidQuery(f"q has {len(prefixes)} different prefixes; at most {MAX_PREFIXES} are allowed")
    terms = [w for w in re.findall(r"\w+", words) if w.lower() != "or"]
    if len(terms) + len(prefixes) > MAX_TERMS:
        raise InvalidQuery(f"q has {len(terms) + len(prefixes)} words; at most {MAX_TERMS} are allowed")


@dataclass(frozen=True)
class TextSearch:
    query: ParsedQuery
    kinds: frozenset[TextKind]
    video_id: str | None = None
    limit: int = 20
    after: tuple[float, str] | None = None  # keyset: (score, artifact_id) of the previous page's last hit


@dataclass(frozen=True)
class TextHit:
    artifact_id: str
    video_id: str
    path: str
    kind: TextKind
    start_ms: int
    end_ms: int
    text: str
    highlight: str  # the text with the matching words in <mark>…</mark>
    score: float
    fuzzy: bool  # found only through OCR's folded characters (no exact word matched)
    match_ms: int  # when the first matching word is said or shown (see match_time)


def match_time(start_ms: int, end_ms: int, text: str, offset: int | None) -> int:
    """When the word at character ``offset`` of a sentence is said, estimated as if the
    sentence were spoken at an even pace (transcripts are stored per sentence; a long
    one runs for many seconds). On-screen text and unknown offsets: the span's start."""
    if offset is None or not text or end_ms <= start_ms:
        return start_ms
    return start_ms + round((end_ms - start_ms) * min(offset, len(text)) / len(text))


SPANS_KEPT = 20  # spans stored per video and label: the most a search can list


@dataclass(frozen=True)
class LabelSearch:
    kind: LabelKind
    label: str | None  # None: every label of the kind (faces: any face)
    min_confidence: float = 0.0
    video_id: str | None = None
    sort: str = "on_screen"  # or "confidence"
    limit: int = 20
    offset: int = 0
    spans_per_video: int = SPANS_KEPT

    def __post_init__(self) -> None:
        if not 0 <= self.spans_per_video <= SPANS_KEPT:
            raise ValueError(f"spans_per_video must be between 0 and {SPANS_KEPT}")


@dataclass(frozen=True)
class Appearance:
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class VideoAppearances:
    """Where one label appears in one video: its spans merged where they overlap (two
    dogs at once count once), each sample standing for its sampling interval."""

    video_id: str
    path: str
    label: str
    on_screen_ms: int
    best_confidence: float
    span_count: int
    spans: list[Appearance]  # the first ``spans_per_video``, in time order


@dataclass(frozen=True)
class LabelCount:
    kind: LabelKind
    label: str
    artifacts: int
    videos: int


@dataclass(frozen=True)
class TextRead:
    """One on-screen text of a video, over all the spans it was read in."""

    text: str
    first_ms: int
    last_ms: int
    sightings: int


@dataclass(frozen=True)
class VideoDigest:
    """What a video's summary is made of, beside its labels (``appearances``)."""

    text_read: list[TextRead]
    scene_count: int
    transcript_excerpt: str
