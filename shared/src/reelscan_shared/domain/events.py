"""Events other systems subscribe to (webhooks), and how their deliveries are signed.

Events are written in the same transaction as the state change they report (a
transactional outbox), so a crash never loses or invents one; deliveries are at
least once, so receivers de-duplicate by ``event_id``. The signature follows Stripe's
scheme: ``Reelscan-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">``,
which binds the timestamp (receivers reject old ones, against replays) to the body.
"""

from __future__ import annotations

import enum
import hashlib
import hmac

SIGNATURE_HEADER = "Reelscan-Signature"
EVENT_ID_HEADER = "Reelscan-Event-Id"
EVENT_TYPE_HEADER = "Reelscan-Event-Type"


class EventType(enum.StrEnum):
    TASK_COMPLETED = "task.completed"
    TASK_FAILED = "task.failed"
    VIDEO_COMPLETED = "video.completed"  # every analysis of the video has finished (completed or not)
    VIDEO_MISSING = "video.missing"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value for this body, sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, header: str, body: bytes, now: int, tolerance_s: int = 300) -> bool:
    """What a receiver does: the timestamp is recent and the MAC matches (constant time)."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), f"t={timestamp},v1={parts.get('v1', '')}")
