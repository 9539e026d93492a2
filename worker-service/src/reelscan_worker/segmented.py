"""A task's run, one segment of its video at a time.

Each segment is one ML request for ``SEGMENT_SECONDS`` of the video, bounded by
``ARQ_JOB_TIMEOUT``, and is stored in PostgreSQL (with the run's progress) before
the next starts: a run that stops anywhere resumes at the first segment not stored,
so no timeout grows with the video and at most one segment's work is repeated.
Segments run one after another in the task's job. Running one task's segments on
several workers at once would help one long video on a many-GPU host, at the price
of a second kind of job and of joining results that arrive out of order; a library
has many videos to spread over the workers instead.

Once the last segment is stored, the analysis's ``combine`` joins the segments'
items (spans linked across boundaries, a scene under way continues) into the
run's artifacts.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

from reelscan_shared.analyses import analysis_for
from reelscan_shared.domain.artifacts import ArtifactEnvelope, Provenance, config_hash
from reelscan_shared.domain.clock import utcnow
from reelscan_shared.domain.segments import Segment
from reelscan_shared.domain.tasks import Progress, Task
from reelscan_shared.logging import get_logger
from reelscan_shared.metrics import SEGMENTS, TASK_ETA, TASK_PROGRESS
from reelscan_shared.ports.ml import MLError, MLUnavailable
from reelscan_shared.schemas.ml import InferenceResponse
from reelscan_worker.bootstrap import WorkerDeps
from reelscan_worker.envelopes import InvalidPayload, build_envelopes

log = get_logger(__name__)


class SegmentTimedOut(Exception):
    """One segment took longer than ARQ_JOB_TIMEOUT."""


def backoff_s(attempt: int, base: float, cap: float) -> float:
    return float(min(cap, base * 2 ** max(attempt - 1, 0)))


def finished(segments: list[Segment]) -> bool:
    last = segments[-1] if segments else None
    return last is not None and last.duration_ms is not None and last.end_ms >= last.duration_ms


class SegmentedRun:
    def __init__(self, deps: WorkerDeps, task: Task, video_path: str) -> None:
        self.deps, self.task, self.video_path = deps, task, video_path
        self.s = deps.settings
        self.analysis = analysis_for(task.task_type)
        self.labels = (task.task_id, task.task_type.value)

    async def segments(self) -> list[Segment] | None:
        """Every segment of the run, the missing ones analysed now; None if the task
        stopped RUNNING meanwhile (cancelled: nothing more is stored)."""
        done = await self.deps.tasks.segments(self.task.task_id)
        if done:
            log.info("run_resumed", segments=len(done), at_ms=done[-1].end_ms)
        config = self.analysis.segment_config(self.task.config)
        failures = 0  # in a row
        shown = False
        try:
            while not finished(done):
                start = done[-1].end_ms if done else 0
                # A video whose length the ML service cannot tell is analysed in one request.
                end = None if done and done[-1].duration_ms is None else start + self.s.segment_ms
                started = time.monotonic()
                try:
                    response = await self._infer(config, start, end)
                except MLUnavailable:
                    failures += 1
                    if not done or failures >= self.s.max_tries:
                        raise  # the job's own retry (nothing to lose) or, after max_tries, failure
                    # This run has made progress: wait here, keeping the task RUNNING and its segments.
                    await asyncio.sleep(backoff_s(failures, self.s.retry_base_delay_s, self.s.retry_max_delay_s))
                    continue
                failures = 0
                segment = self._segment(len(done), start, end, response, time.monotonic() - started)
                if done and segment.provenance.input_hash != done[0].provenance.input_hash:
                    log.warning("run_restarted", reason="the video changed since the run's first segment")
                    await self.deps.tasks.restart_run(self.task.task_id)
                    done = []
                    continue
                updated = await self.deps.tasks.add_segment(self.task.task_id, segment, utcnow())
                if updated is None:
                    return None
                done.append(segment)
                SEGMENTS.labels(self.task.task_type.value).inc()
                self._show(updated.progress)
                shown = True
            return done
        finally:
            if shown:  # the gauges are per running task: gone with it
                TASK_PROGRESS.remove(*self.labels)
                TASK_ETA.remove(*self.labels)

    def _show(self, progress: Progress) -> None:
        TASK_PROGRESS.labels(*self.labels).set((progress.percent or 0.0) / 100)
        TASK_ETA.labels(*self.labels).set(progress.eta_s if progress.eta_s is not None else float("nan"))
        log.info("segment_done", done_ms=progress.done_ms, total_ms=progress.total_ms, percent=progress.percent,
                 eta_s=progress.eta_s)

    async def _infer(self, config: dict[str, object], start: int, end: int | None) -> InferenceResponse:
        try:
            async with asyncio.timeout(self.s.job_timeout_s):
                return await self.deps.ml.infer(self.task.task_type, self.video_path, dict(config), start, end)
        except TimeoutError as exc:
            raise SegmentTimedOut(f"the segment {start}-{end} ms did not finish within ARQ_JOB_TIMEOUT "
                                  f"({self.s.job_timeout_s} s)") from exc

    def _segment(self, seq: int, start: int, end: int | None, response: InferenceResponse,
                 elapsed_s: float) -> Segment:
        if not self.analysis.produces(response.artifact_type, response.schema_version):
            raise InvalidPayload(f"ML service returned {response.artifact_type!r} v{response.schema_version} "
                                 f"artifacts for a {self.task.task_type} task")
        covered = response.end_ms
        duration = response.duration_ms
        if end is None or covered is None:  # the rest of the video, however long: covered, done
            covered = max(duration or 0, start + 1)
            duration = covered
        if covered <= start:
            raise MLError(f"ML service covered nothing of the segment starting at {start} ms")
        provenance = Provenance(run_id=response.run_id, producer=response.producer,
                                producer_version=response.producer_version, model_profile=response.model_profile,
                                config_hash=response.config_hash, input_hash=response.input_hash)
        return Segment(seq=seq, start_ms=start, end_ms=covered, artifact_type=response.artifact_type,
                       schema_version=response.schema_version, provenance=provenance,
                       duration_ms=duration, elapsed_ms=int(elapsed_s * 1000),
                       items=[item.model_dump() for item in response.items])

    def artifacts(self, segments: list[Segment]) -> list[ArtifactEnvelope]:
        """The run's artifacts: every segment's items, joined by the analysis's ``combine``."""
        combined = self.analysis.combine([item for s in segments for item in s.items], self.task.config)
        first = segments[0]
        # One run, one id (its first request's); the config is the task's (the segments
        # asked for per-frame rows to link them here).
        provenance = replace(first.provenance, config_hash=config_hash(self.task.config))
        return build_envelopes(self.task, first.artifact_type, combined.schema_version, combined.items, provenance)
