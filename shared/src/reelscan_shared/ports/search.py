"""Search port: the library searched by text and by label (domain.search)."""

from __future__ import annotations

from typing import Protocol

from reelscan_shared.domain.search import (
    LabelCount,
    LabelKind,
    LabelSearch,
    TextHit,
    TextSearch,
    VideoAppearances,
    VideoDigest,
)


class SearchIndex(Protocol):
    async def text(self, search: TextSearch) -> list[TextHit]:
        """Up to ``search.limit`` hits, best first (score, then artifact id)."""
        ...

    async def appearances(self, search: LabelSearch) -> tuple[list[VideoAppearances], int]:
        """One page of the videos where the label appears, and how many there are in all."""
        ...

    async def labels(self, kinds: frozenset[LabelKind], video_id: str | None, limit: int) -> list[LabelCount]:
        """The labels of these kinds, most frequent first, with their artifact and video counts."""
        ...

    async def digest(self, video_id: str, texts: int) -> VideoDigest:
        """A video's on-screen texts (the ``texts`` most read), scene count and transcript's beginning."""
        ...
