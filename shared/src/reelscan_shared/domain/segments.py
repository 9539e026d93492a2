"""Segments: the parts of a video a task's run has analysed so far.

A task analyses its video ``SEGMENT_SECONDS`` at a time, one ML request per segment.
Each finished segment is stored (with what the ML service found in it) before the
next starts, so a run that stops (a worker killed, the ML service or PostgreSQL
restarted) resumes at the first segment not stored. The segments become the task's
artifacts, and are deleted, in the transaction that completes the task; a run that
ends any other way (failed, cancelled) or a retry deletes them too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reelscan_shared.domain.artifacts import Provenance


@dataclass(frozen=True)
class Segment:
    seq: int  # 0, 1, 2, ... in time order
    start_ms: int
    end_ms: int  # exclusive: where the next segment starts
    artifact_type: str
    schema_version: int  # of the items' payloads
    provenance: Provenance
    duration_ms: int | None  # of the video, as the ML service measured it
    elapsed_ms: int  # analysis time
    items: list[dict[str, Any]] = field(default_factory=list)  # {"span_start_ms", "span_end_ms", "payload", ...}
