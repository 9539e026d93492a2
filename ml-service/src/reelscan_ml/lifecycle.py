"""Background model housekeeping: ML_PRELOAD at start-up, MODEL_TTL unloading."""

from __future__ import annotations

import asyncio
import time

from reelscan_ml import runnable
from reelscan_ml.models.registry import ModelRegistry
from reelscan_ml.state import MLState
from reelscan_shared.logging import get_logger

log = get_logger(__name__)


async def preload_models(state: MLState) -> None:
    """Load the ML_PRELOAD models one after another, off the event loop, so /health
    answers meanwhile; /ready turns 200 when all are loaded. A failure is logged and
    shown in /health and /ready, and the model is retried on its first request."""
    for analysis in state.settings.preload:
        model = state.registry[analysis]
        if runnable.refusal(model, state.settings.allow_untrained) is not None:
            continue  # it may not run: loading its untrained network would only cost memory
        try:
            await asyncio.to_thread(model.load)
        except Exception:  # noqa: BLE001 - recorded on the model (state "failed", error)
            continue


async def unload_idle_models(registry: ModelRegistry, ttl_s: float) -> None:
    """Every few seconds, unload models idle for MODEL_TTL seconds."""
    while True:
        await asyncio.sleep(min(max(ttl_s / 4, 0.5), 30))
        unloaded = await asyncio.to_thread(registry.unload_idle, ttl_s, time.monotonic())
        if unloaded:
            log.info("models_unloaded_idle", analyses=unloaded, ttl_s=ttl_s)
