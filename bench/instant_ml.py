"""A benchmark-only stand-in for the ML service: answers every inference request at
once with a fixed, valid result of realistic size (ITEMS items, 20 by default), so a
benchmark measures Reelscan's own machinery (queue, worker, database), not a model.

    python bench/instant_ml.py PORT [ITEMS]

It counts the requests per task it answered (GET /stats), so the benchmark can check
that no task was processed twice. Never used outside bench.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from typing import Any

import uvicorn

from reelscan_shared.analyses import ANALYSES

FRAME = {"frame_width": 1280, "frame_height": 720}


def item(artifact_type: str, i: int) -> dict[str, Any]:
    ms = i * 1000
    box = {"x1": 10.0 + i, "y1": 20.0, "x2": 200.0 + i, "y2": 300.0}
    payloads = {
        "object_detection": {**FRAME, "frame_ms": ms, "box": box, "confidence": 0.87, "label": "person",
                             "class_id": 0},
        "face_detection": {**FRAME, "frame_ms": ms, "box": box, "confidence": 0.91},
        "ocr_text": {**FRAME, "frame_ms": ms, "box": box, "confidence": 0.76, "text": f"SIGN {i}"},
        "transcript_segment": {"text": f"segment {i} of the spoken words", "start_ms": ms, "end_ms": ms + 900,
                               "language": "en", "avg_logprob": -0.3, "no_speech_prob": 0.02},
        "place_classification": {"frame_ms": ms, "top_k": [
            {"label": "office", "class_id": 244, "score": 0.6}, {"label": "classroom", "class_id": 92, "score": 0.2},
            {"label": "library", "class_id": 212, "score": 0.1}]},
        "scene": {"scene_index": i, "start_ms": ms, "end_ms": ms + 1000, "start_frame": i * 25,
                  "end_frame": i * 25 + 24},
    }
    return {"span_start_ms": ms, "span_end_ms": ms + 999, "payload": payloads[artifact_type]}


# POST /infer/{task_type} -> the artifact type it answers with, from the analysis table.
ENDPOINTS = {a.task_type.value: a.artifact_type.value for a in ANALYSES.values()}


def responses(items: int) -> dict[str, bytes]:
    return {
        f"/infer/{name}": json.dumps({
            "artifact_type": artifact_type, "run_id": f"bench-{name}", "config_hash": "0" * 64,
            "input_hash": "1" * 64, "producer": "bench/instant-ml", "producer_version": "1",
            "model_profile": "instant", "duration_ms": items * 1000, "elapsed_ms": 0,
            "items": [item(artifact_type, i) for i in range(items)],
        }).encode()
        for name, artifact_type in ENDPOINTS.items()
    }


class InstantML:
    """A bare ASGI app: no framework in the way of the figures."""

    def __init__(self, items: int) -> None:
        self.bodies = responses(items)
        self.requests: Counter[str] = Counter()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        path = scope["path"]
        if path in self.bodies:
            self.requests[(path, json.loads(body)["video_path"])] += 1  # one per task
            status, payload = 200, self.bodies[path]
        elif path == "/stats":
            status, payload = 200, json.dumps({"requests": sum(self.requests.values()),
                                               "repeated": sum(n - 1 for n in self.requests.values() if n > 1),
                                               }).encode()
        elif path == "/stats/reset":
            self.requests.clear()
            status, payload = 200, b"{}"
        elif path in ("/health", "/ready", "/live"):
            status, payload = 200, b'{"status": "ok", "device": "cpu"}'
        else:
            status, payload = 404, b'{"detail": "not found"}'
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": payload})


if __name__ == "__main__":
    port, items = int(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 20
    uvicorn.run(InstantML(items), host="127.0.0.1", port=port, log_level="warning", access_log=False)
