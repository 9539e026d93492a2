"""Which analyses may run: only those whose model has trained weights, unless
ALLOW_UNTRAINED lets an untrained network (random weights, for tests) run.

A request for an analysis that may not run is refused before any work with
HTTP 424 and ``{"detail": ..., "reason": "untrained" | "missing", "analysis": ...,
"model_profile": ...}``; the worker ends such a task BLOCKED with the detail, and
runs it again once /health says the analysis is runnable. /health lists every
analysis with ``runnable`` and, when it is not, the reason and the command that
fixes it.

Weights can appear while the service runs (``models pull``, a copied cache): the
model's location is looked up again before a refusal, and every
WEIGHTS_CHECK_SECONDS for models not loaded, so /health (which never touches the
disk itself) follows within that interval.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from fastapi import Request
from fastapi.responses import JSONResponse

from reelscan_ml.models.base import Model
from reelscan_ml.models.registry import ModelRegistry
from reelscan_shared.domain.tasks import TaskType
from reelscan_shared.logging import get_logger

if TYPE_CHECKING:
    from reelscan_ml.autofetch import Fetch

log = get_logger(__name__)
# Failed Dependency: the request is fine, a model it needs is not there. The worker
# tells it from the other 4xx (bad video, bad config) by this code and ``reason``.
NOT_RUNNABLE_STATUS = 424
Reason = Literal["untrained", "missing"]


class NotRunnable(Exception):
    def __init__(self, analysis: TaskType, reason: Reason, model_profile: str) -> None:
        self.analysis, self.reason, self.model_profile = analysis, reason, model_profile
        super().__init__(self.detail)

    @property
    def detail(self) -> str:
        fix = f"run `reelscan-ml models pull {self.analysis.value}`"
        if self.reason == "untrained":
            return (f"no trained weights for {self.analysis.value}: {fix} "
                    f"(ALLOW_UNTRAINED=true runs the untrained {self.model_profile}, for tests only)")
        return f"no weights for {self.analysis.value} ({self.model_profile}): {fix}"

    def body(self) -> dict[str, str]:
        return {"detail": self.detail, "reason": self.reason, "analysis": self.analysis.value,
                "model_profile": self.model_profile}


def refusal(model: Model, allow_untrained: bool) -> NotRunnable | None:
    """Why ``model`` may not run now (as far as its last known weights say), or None."""
    weights = model.where.weights
    if weights == "trained" or (weights == "untrained" and allow_untrained):
        return None
    return NotRunnable(model.spec.analysis, "missing" if weights == "missing" else "untrained", model.spec.name)


def relocate(model: Model) -> None:
    """Look for the model's weights again (cheap: file checks), unless it is loaded or
    loading (its load looked itself, and the loaded network is what runs)."""
    if model.state in ("not_loaded", "failed"):
        model.where = model.locate()


async def check(registry: ModelRegistry, analysis: TaskType, allow_untrained: bool) -> None:
    """Raise NotRunnable unless the analysis may run. Analyses without a model always may."""
    model = registry.models.get(analysis)
    if model is None or refusal(model, allow_untrained) is None:
        return
    await asyncio.to_thread(relocate, model)  # weights pulled since the last look count at once
    refused = refusal(model, allow_untrained)
    if refused is not None:
        raise refused


def describe(registry: ModelRegistry, allow_untrained: bool,
             fetches: Mapping[TaskType, Fetch] | None = None) -> dict[str, dict[str, Any]]:
    """Per analysis (every task type): whether it can run, why not (with what the
    start-up fetch of its weights is doing, MODEL_AUTO_PULL), and that fetch."""
    out: dict[str, dict[str, Any]] = {}
    for analysis in TaskType:
        model = registry.models.get(analysis)
        refused = refusal(model, allow_untrained) if model is not None else None
        fetch = (fetches or {}).get(analysis)
        detail = refused.detail if refused else None
        if detail and fetch is not None and fetch.note():
            detail = f"{detail}; {fetch.note()}"
        out[analysis.value] = {
            "runnable": refused is None,
            "weights": model.where.weights if model is not None else None,
            "reason": refused.reason if refused else None,
            "detail": detail,
            "fetch": fetch.describe() if fetch is not None else None,
        }
    return out


async def recheck_forever(registry: ModelRegistry, interval_s: float) -> None:
    """Every ``interval_s``, look again where the weights of unloaded models are."""
    while True:
        await asyncio.sleep(interval_s)
        for analysis, model in registry.models.items():
            before = model.where.weights
            await asyncio.to_thread(relocate, model)
            if model.where.weights != before:
                log.info("model_weights_changed", analysis=analysis, weights=model.where.weights,
                         source=model.where.source)


async def not_runnable_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, NotRunnable)
    return JSONResponse(exc.body(), status_code=NOT_RUNNABLE_STATUS)
