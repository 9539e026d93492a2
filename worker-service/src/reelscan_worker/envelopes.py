"""Turn a run's combined items into validated artifact envelopes (one per item)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from reelscan_shared.analyses import validate_payload
from reelscan_shared.domain.artifacts import ArtifactEnvelope, Provenance
from reelscan_shared.domain.clock import utcnow
from reelscan_shared.domain.tasks import Task


class InvalidPayload(ValueError):
    """A result item does not match its schema; the task fails with this message."""


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "payload"
    return f"{where}: {err['msg']}"


def build_envelopes(task: Task, kind: str, version: int, items: Sequence[dict[str, Any]],
                    provenance: Provenance) -> list[ArtifactEnvelope]:
    now = utcnow()
    envelopes = []
    for index, item in enumerate(items):
        if item["span_end_ms"] < item["span_start_ms"]:
            raise InvalidPayload(f"{kind} item {index}: span ends before it starts")
        try:
            _, payload = validate_payload(kind, item["payload"], version)
        except ValidationError as exc:
            raise InvalidPayload(
                f"{kind} item {index} failed validation ({exc.error_count()} errors): {_first_error(exc)}"
            ) from exc
        envelopes.append(ArtifactEnvelope(
            artifact_id=str(uuid.uuid4()), video_id=task.video_id, task_id=task.task_id, artifact_type=kind,
            schema_version=version, span_start_ms=item["span_start_ms"], span_end_ms=item["span_end_ms"],
            payload=payload, provenance=provenance, created_at=now,
        ))
    return envelopes
