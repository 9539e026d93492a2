"""HTTP client of the ML service: one pooled httpx.AsyncClient per worker.

Transport errors, 503 (busy, model not ready) and 504 (ML_REQUEST_TIMEOUT) mean
"try again later" (MLUnavailable, with the service's Retry-After); 424 means the
analysis cannot run there until its weights are fetched (MLNotRunnable, with the
service's reason); any other error response means the request itself is bad (MLError)
and carries the service's message.
"""

from __future__ import annotations

from typing import Any

import httpx
from pydantic import ValidationError
from structlog.contextvars import get_contextvars

from reelscan_shared.domain.tasks import TaskType
from reelscan_shared.ports.ml import MLError, MLNotRunnable, MLUnavailable
from reelscan_shared.request_context import REQUEST_ID_HEADER
from reelscan_shared.schemas.ml import InferenceRequest, InferenceResponse

_TASK_TYPES = frozenset(t.value for t in TaskType)
NOT_RUNNABLE = 424  # the ML service's answer when an analysis's model cannot run (reelscan_ml.runnable)


def _detail(resp: httpx.Response) -> str:
    try:
        body = resp.json()
    except ValueError:
        return resp.text[:500] or resp.reason_phrase
    detail = body.get("detail") if isinstance(body, dict) else None
    return str(detail if detail is not None else body)[:1000]


def _retry_after(resp: httpx.Response) -> float | None:
    try:
        return max(float(resp.headers["retry-after"]), 0.0)
    except (KeyError, ValueError):
        return None


def _reason(resp: httpx.Response) -> str:
    try:
        body = resp.json()
    except ValueError:
        return "unknown"
    return str(body.get("reason", "unknown")) if isinstance(body, dict) else "unknown"


class HttpMLClient:
    def __init__(self, base_url: str, timeout_s: float = 600.0, max_connections: int = 16) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url,
            timeout=httpx.Timeout(timeout_s, connect=5.0),
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
        )

    async def infer(self, task_type: TaskType, video_path: str, config: dict[str, Any], start_ms: int = 0,
                    end_ms: int | None = None) -> InferenceResponse:
        body = InferenceRequest(video_path=video_path, config=config, start_ms=start_ms, end_ms=end_ms).model_dump()
        request_id = get_contextvars().get("request_id")  # bound per job by the handler
        headers = {REQUEST_ID_HEADER: request_id} if request_id else None
        try:
            resp = await self._http.post(f"/infer/{task_type.value}", json=body, headers=headers)
        except httpx.TransportError as exc:
            raise MLUnavailable(f"ML service unreachable ({type(exc).__name__}: {exc})") from exc
        if resp.status_code == 503:
            raise MLUnavailable(f"ML service busy or not ready (503): {_detail(resp)}", _retry_after(resp))
        if resp.status_code == 504:
            raise MLUnavailable(f"ML service timed out (504): {_detail(resp)}")
        if resp.status_code == NOT_RUNNABLE:
            raise MLNotRunnable(_detail(resp), _reason(resp))
        if resp.status_code >= 400:
            raise MLError(f"ML service rejected the video ({resp.status_code}): {_detail(resp)}")
        try:
            return InferenceResponse.model_validate_json(resp.content)
        except ValidationError as exc:
            raise MLError(f"ML service sent a malformed response: {exc}") from exc

    async def runnable_analyses(self) -> frozenset[TaskType]:
        try:
            resp = await self._http.get("/health", timeout=10.0)
            resp.raise_for_status()
            analyses = resp.json()["analyses"]
            return frozenset(TaskType(name) for name, state in analyses.items()
                             if name in _TASK_TYPES and state["runnable"] is True)
        except (httpx.HTTPError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise MLUnavailable(f"ML service /health did not say which analyses can run "
                                f"({type(exc).__name__}: {exc})") from exc

    async def aclose(self) -> None:
        await self._http.aclose()
