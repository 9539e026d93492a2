"""MODEL_AUTO_PULL: at start-up, fetch the weights that are missing, in the background.

For each configured analysis whose trained weights are not here and whose profile
has a download, the service pulls them with the same code as ``reelscan-ml models
pull`` (MODEL_MIRROR_URL, pinned SHA-256, the manifest, a resumable ``.partial``
file), one analysis after another in one background thread: start-up, /health and
/ready never wait for it. Each analysis logs ``weights_fetching`` (with the source),
progress every 10 %, then ``weights_fetched`` or ``weights_fetch_failed`` (the reason
and the command that gets the weights). /health shows the state per analysis
(``fetch``). A failed fetch is tried again after MODEL_FETCH_RETRY_SECONDS, then
after twice as long each time, up to a day: an offline host costs one failed
connection per try, and one that comes online later gets its weights without a
restart. Weights that arrive meanwhile (``models pull``) end the retries.

When a fetch completes the model's weights are looked up again at once (not after
WEIGHTS_CHECK_SECONDS), so the analysis is runnable and the worker's reconciler runs
its BLOCKED tasks.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from reelscan_ml import runnable
from reelscan_ml.models.base import Model
from reelscan_ml.state import MLState
from reelscan_shared.domain.tasks import TaskType
from reelscan_shared.logging import get_logger

log = get_logger(__name__)
FetchStateName = Literal["waiting", "fetching", "failed", "done"]
MAX_RETRY_S = 86_400.0  # the longest wait between two tries of a failed fetch


class FetchCancelled(Exception):
    """The service is stopping: the transfer ends, its ``.partial`` file stays for next time."""


@dataclass
class Fetch:
    """One analysis's fetch, as /health shows it (updated from the download thread)."""

    analysis: TaskType
    source: str
    state: FetchStateName = "waiting"
    file: str | None = None
    done_bytes: int = 0
    total_bytes: int | None = None
    error: str | None = None
    retry_at: datetime | None = None  # when a failed fetch is tried again; None: not again
    _logged_step: int = -1

    @property
    def command(self) -> str:
        return f"reelscan-ml models pull {self.analysis.value}"

    def describe(self) -> dict[str, Any]:
        return {"state": self.state, "source": self.source, "file": self.file, "done_bytes": self.done_bytes,
                "total_bytes": self.total_bytes, "error": self.error,
                "command": self.command if self.state == "failed" else None,
                "retry_at": self.retry_at.isoformat(timespec="seconds") if self.retry_at else None}

    def note(self) -> str:
        """What /health's ``detail`` adds for an analysis that cannot run yet."""
        if self.state == "waiting":
            return f"its weights are fetched from {self.source} after the others'"
        if self.state == "fetching":
            got = f"{self.done_bytes / 2**20:.1f} MiB"
            if self.total_bytes:
                got += f" of {self.total_bytes / 2**20:.1f} MiB"
            return f"fetching its weights from {self.source} ({got})"
        if self.state == "failed":
            again = f"; tried again at {self.retry_at:%Y-%m-%d %H:%M:%S} UTC" if self.retry_at else ""
            return f"fetching its weights from {self.source} failed: {self.error}{again}"
        return ""

    def progress(self, cancel: threading.Event, name: str, done: int, total: int | None) -> None:
        if cancel.is_set():
            raise FetchCancelled(f"{name}: the service is stopping")
        self.file, self.done_bytes, self.total_bytes = name, done, total
        step = 100 * done // total // 10 if total else -1
        if step > self._logged_step:  # at most one line per 10 %
            self._logged_step = step
            log.info("weights_fetch_progress", analysis=self.analysis, file=name, done_bytes=done,
                     total_bytes=total, percent=10 * step)


def wanted(state: MLState) -> list[tuple[TaskType, Model]]:
    """The configured analyses whose trained weights are missing and can be downloaded."""
    return [(a, m) for a, m in state.registry.models.items() if m.where.weights != "trained" and m.spec.files]


def _pull(model: Model, fetch: Fetch, mirror: str | None, cancel: threading.Event) -> list[str]:
    def progress(name: str, done: int, total: int | None) -> None:
        fetch.progress(cancel, name, done, total)

    written = model.pull(mirror, progress)
    if model.state == "ready" and model.where.weights != "trained":
        model.unload()  # an untrained network loaded (ALLOW_UNTRAINED): the next use loads the weights
    runnable.relocate(model)  # runnable now, not after WEIGHTS_CHECK_SECONDS
    return written


async def _in_daemon_thread(fn: Any, *args: Any) -> Any:
    """Run ``fn`` in a daemon thread: unlike asyncio.to_thread, a download does not keep
    the process from exiting when the service stops."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()

    def settle(result: Any, error: BaseException | None) -> None:
        if future.done():  # cancelled: the service is stopping
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    def target() -> None:
        result: Any = None
        error: BaseException | None = None
        try:
            result = fn(*args)
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting task
            error = exc
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=target, name="weights-fetch", daemon=True).start()
    return await future


async def fetch_missing(state: MLState) -> None:
    """Pull the missing weights, one analysis after another, and try the failed ones again
    later (MODEL_FETCH_RETRY_SECONDS, doubling); each outcome is logged and kept in
    ``state.fetches`` for /health. Never raises (but for cancellation)."""
    cancel = threading.Event()
    todo = wanted(state)
    for analysis, model in todo:
        state.fetches[analysis] = Fetch(analysis, ", ".join(model.sources(state.settings.model_mirror_url)))
    delay = state.settings.model_fetch_retry_s
    try:
        while todo:
            for analysis, model in todo:
                await _fetch(state, analysis, model, cancel)
            # Weights pulled by hand meanwhile (``models pull``) need no further try.
            todo = [(a, m) for a, m in todo if state.fetches[a].state == "failed" and m.where.weights != "trained"]
            if not todo or delay <= 0:
                return
            retry_at = datetime.now(UTC) + timedelta(seconds=delay)
            for analysis, _ in todo:
                state.fetches[analysis].retry_at = retry_at
            log.info("weights_fetch_retry_scheduled", analyses=[a.value for a, _ in todo], in_s=delay,
                     at=retry_at.isoformat(timespec="seconds"))
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_RETRY_S)
    finally:
        cancel.set()


async def _fetch(state: MLState, analysis: TaskType, model: Model, cancel: threading.Event) -> None:
    fetch = state.fetches[analysis]
    fetch.state, fetch.error, fetch.retry_at, fetch._logged_step = "fetching", None, None, -1
    log.info("weights_fetching", analysis=analysis, profile=model.spec.name, source=fetch.source,
             cache_dir=str(state.registry.cache_dir))
    try:
        written = await _in_daemon_thread(_pull, model, fetch, state.settings.model_mirror_url, cancel)
    except Exception as exc:  # noqa: BLE001 - reported per analysis; the service runs on
        fetch.state, fetch.error = "failed", f"{type(exc).__name__}: {exc}"
        log.warning("weights_fetch_failed", analysis=analysis, profile=model.spec.name, source=fetch.source,
                    reason=fetch.error, command=fetch.command)
        return
    fetch.state = "done"
    log.info("weights_fetched", analysis=analysis, profile=model.spec.name, files=written,
             weights=model.where.weights, runnable=runnable.refusal(model, state.settings.allow_untrained) is None)
