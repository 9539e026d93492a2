"""Real-length benchmark: an N-minute 720p video through the whole stack.

    make bench-long                     # N = 10 minutes
    BENCH_MINUTES=60 BENCH_SHORT=0 BENCH_WHOLE_FILE=0 make bench-long
                                        # the hour-long run, without the N/5 run and
                                        # the whole-file transcription pass

Generates an N-minute 1280x720 25 fps H.264 video (x264 veryfast: 10 s GOPs,
B-frames) made of chapters: each chapter is a hard cut to a new moving background,
a caption that names it (two words of its own), and one spoken sentence. Then runs
it through the real stack (ML service, API, a GPU-queue and a CPU-queue worker,
embedded PostgreSQL and Valkey: what ``make run`` starts) and writes
``${BENCH_OUT:-.bench}/long.json`` with:

- wall seconds per analysis and in total, and the real-time factor (wall / duration);
- on-screen words read by OCR, spoken words heard by transcription, scenes found,
  each out of those put in; artifacts per type;
- the ML service's peak RSS on this video and on one N/5 minutes long (run first,
  in a stack of its own): flat in N if nothing holds a video's frames;
- a SIGKILL of the GPU-queue worker once its first task passes 50 %: how much of the
  video was analysed twice (segments asked for again), against what a restart from
  zero would have repeated.

Not part of ``make test``. Prints the figures and saves them; asserts nothing.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "dev")]

import sample_videos as sv  # noqa: E402
from stack_runs import make_stack, task_list  # noqa: E402

CHAPTER_S = 20
SIZE = (1280, 720)
WORDS = ("ALPHA", "BRAVO", "CEDAR", "DELTA", "EMBER", "FALCON", "GARNET", "HARBOR", "INDIGO", "JASPER", "KELP",
         "LUMEN", "MAPLE", "NECTAR", "OPAL", "PRISM", "QUARTZ", "RAVEN", "SIERRA", "TUNDRA", "UMBER", "VELVET",
         "WILLOW", "XENON", "YARROW", "ZEPHYR")
SENTENCE = "Chapter {n} is about the {a} and the {b}, filmed near the old harbour at dawn."


def chapter_words(n: int) -> tuple[str, str]:
    return WORDS[n % len(WORDS)], WORDS[(n * 7 + 3) % len(WORDS)]


def make_video(path: Path, minutes: float) -> dict[str, Any]:
    """The video and what was put in it: captions, spoken words, cuts."""
    import cv2

    seconds = int(minutes * 60)
    chapters = -(-seconds // CHAPTER_S)
    rate = 22050
    audio = np.zeros(seconds * rate, np.int16)
    spoken: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(chapters):
            a, b = chapter_words(n)
            text = SENTENCE.format(n=n + 1, a=a.lower(), b=b.lower())
            samples, wav_rate = sv._read_wav(sv._espeak_wav(text, Path(tmp) / f"{n}.wav"))
            assert wav_rate == rate, wav_rate
            start = (n * CHAPTER_S + 1) * rate  # a second into the chapter
            piece = samples[: max(0, min(len(samples), len(audio) - start))]
            audio[start:start + len(piece)] = piece
            spoken.extend(re.findall(r"[a-z]+", text.lower()))
    rng = np.random.default_rng(5)
    width, height = SIZE
    textures = [cv2.resize(rng.integers(0, 255, (height // 60 + 1, width // 60 + 1, 3), dtype=np.uint8),
                           (width, height), interpolation=cv2.INTER_LINEAR) for _ in range(chapters)]

    def frame(i: int) -> np.ndarray:
        n = i // (CHAPTER_S * sv.FPS)
        image = np.roll(textures[n], (i % (CHAPTER_S * sv.FPS)) * 3, axis=1)  # the camera pans
        a, b = chapter_words(n)
        cv2.rectangle(image, (80, 120), (1200, 260), (255, 255, 255), -1)
        cv2.putText(image, f"{a} {b}", (110, 225), cv2.FONT_HERSHEY_SIMPLEX, 3.0, (0, 0, 0), 8, cv2.LINE_AA)
        return image

    sv.write_video(path, (frame(i) for i in range(seconds * sv.FPS)), (audio, rate),
                   options={"preset": "veryfast"})
    captions = sorted({w for n in range(chapters) for w in chapter_words(n)})
    return {"seconds": seconds, "chapters": chapters, "cuts": chapters - 1, "caption_words": captions,
            "spoken_words": spoken}


def peak_rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024  # type: ignore[union-attr]


def repeated_segments(ml_log: Path) -> tuple[int, list[str]]:
    """Video milliseconds the ML service analysed more than once (a segment asked for again)."""
    seen: dict[tuple[str, int, int | None], int] = {}
    for line in ml_log.read_text().splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("event") == "inference_done" and entry.get("segment_ms"):
            start, end = entry["segment_ms"]
            key = (entry["analysis"], start, end)
            seen[key] = seen.get(key, 0) + 1
    twice = [k for k, n in seen.items() if n > 1]
    return sum(((e or s) - s) * (seen[(a, s, e)] - 1) for a, s, e in twice), [f"{a} {s}-{e}" for a, s, e in twice]


def watch(stack: Any, client: httpx.Client, kill_at_half: bool) -> tuple[list[dict[str, Any]], dict[str, float],
                                                                         dict[str, Any]]:
    """Poll the tasks until all six are finished: when each finished, and (with
    ``kill_at_half``) SIGKILL the GPU-queue worker once one of its tasks passes 50 %."""
    killed: dict[str, Any] = {}
    finished_at: dict[str, float] = {}
    t0 = time.monotonic()
    while True:
        tasks = task_list(client)
        now = time.monotonic() - t0
        for t in tasks:
            if t["status"] in ("completed", "failed", "cancelled"):
                finished_at.setdefault(t["task_type"], now)
        if len(tasks) == 6 and len(finished_at) == 6:
            return tasks, finished_at, killed
        running = [t for t in tasks if t["queue"] == "gpu_jobs" and t["status"] == "running"]
        if kill_at_half and not killed and any((t["progress"]["percent"] or 0) >= 50 for t in running):
            stack.kill("worker-gpu")
            killed = {"at_s": round(now, 1), "done_s_when_killed": {
                t["task_type"]: t["progress"]["done_ms"] / 1000 for t in running}}
            stack.services["worker-gpu"].start()
        if now > 6 * 3600:
            raise RuntimeError("did not finish in 6 hours")
        time.sleep(2)


def all_artifacts(client: httpx.Client, video_id: str) -> list[dict[str, Any]]:
    artifacts: list[dict[str, Any]] = []
    while True:
        page = client.get(f"/videos/{video_id}/artifacts", params={"limit": 500, "offset": len(artifacts)}).json()
        artifacts.extend(page["items"])
        if not page["items"] or len(artifacts) >= page["total"]:
            return artifacts


def score(artifacts: list[dict[str, Any]], truth: dict[str, Any]) -> dict[str, Any]:
    """What came back against what was put in."""
    by_type: dict[str, int] = {}
    for a in artifacts:
        by_type[a["artifact_type"]] = by_type.get(a["artifact_type"], 0) + 1
    read = {w for a in artifacts if a["artifact_type"] == "ocr_text" for w in a["payload"]["text"].upper().split()}
    heard = [w for a in artifacts if a["artifact_type"] == "transcript_segment"
             for w in re.findall(r"[a-z]+", a["payload"]["text"].lower())]
    starts = sorted(a["payload"]["start_ms"] for a in artifacts if a["artifact_type"] == "scene")
    cuts = [c * CHAPTER_S * 1000 for c in range(1, truth["chapters"])]
    near = 80  # two frames
    return {
        "ocr_caption_words_read": f"{len(read & set(truth['caption_words']))}/{len(truth['caption_words'])}",
        "ocr_other_words": sorted(read - set(truth["caption_words"]))[:20],
        "spoken_words_heard": f"{_heard(heard, truth['spoken_words'])}/{len(truth['spoken_words'])}",
        "cuts_found": f"{sum(any(abs(s - c) <= near for s in starts) for c in cuts)}/{len(cuts)}",
        "scenes": len(starts),
        "scenes_starting_off_a_cut": len([s for s in starts if s > 0 and not any(abs(s - c) <= near for c in cuts)]),
        "artifacts": by_type,
    }


def run(root: Path, video: Path, truth: dict[str, Any], kill_at_half: bool) -> dict[str, Any]:
    stack = make_stack(root, {"long": video}, ANALYSIS_CONFIG="{}")
    stack.start()
    client = httpx.Client(base_url=stack.api_url, timeout=30)
    try:
        stack.wait_ready()
        ml_pid = stack.services["ml"].proc.pid  # type: ignore[union-attr]
        t0 = time.monotonic()
        tasks, finished_at, killed = watch(stack, client, kill_at_half)
        wall = time.monotonic() - t0
        rss = peak_rss_mb(ml_pid)
        artifacts = all_artifacts(client, tasks[0]["video_id"])
    finally:
        stack.stop()
    result: dict[str, Any] = {
        "wall_s": round(wall, 1), "real_time_factor": round(wall / truth["seconds"], 3),
        "wall_s_per_analysis": {k: round(v, 1) for k, v in sorted(finished_at.items())},
        "statuses": {t["task_type"]: t["status"] for t in tasks},
        "errors": {t["task_type"]: t["error"] for t in tasks if t["error"]},
        **score(artifacts, truth), "ml_peak_rss_mb": round(rss, 1),
    }
    if killed:
        repeated_ms, which = repeated_segments(root / "data" / "logs" / "ml.log")
        killed["video_s_analysed_twice"] = round(repeated_ms / 1000, 1)
        killed["segments_asked_twice"] = which
        killed["a_restart_from_zero_would_repeat_s"] = round(sum(killed["done_s_when_killed"].values()), 1)
        result["sigkill_worker_at_50pct"] = killed
    return result


def _heard(heard: list[str], spoken: list[str]) -> int:
    """Spoken words heard, as a multiset: each word counts as often as it was both said and heard."""
    from collections import Counter

    return sum((Counter(heard) & Counter(spoken)).values())


def whole_file_words(video: Path) -> list[str]:
    """What one whole-file transcription pass hears: the same ML service, one request for
    the whole video (no segments; in-process, with room for it to finish)."""
    import asyncio

    from reelscan_ml.app import create_app
    from reelscan_ml.settings import MLSettings
    from reelscan_shared.analyses import default_config
    from reelscan_shared.domain.tasks import TaskType

    async def transcribe() -> list[dict[str, Any]]:
        settings = MLSettings(VIDEO_PATHS=str(video.parent), ML_REQUEST_TIMEOUT="86400",
                              MODEL_CACHE_DIR=os.environ.get("MODEL_CACHE_DIR", str(video.parent / "models")))
        app = create_app(settings)
        async with app.router.lifespan_context(app), httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://ml", timeout=None) as client:
            resp = await client.post("/infer/transcription", json={
                "video_path": str(video), "config": default_config(TaskType.TRANSCRIPTION)})
            resp.raise_for_status()
            return list(resp.json()["items"])

    items = asyncio.run(transcribe())
    return [w for i in items for w in re.findall(r"[a-z]+", i["payload"]["text"].lower())]


def main() -> None:
    minutes = float(os.environ.get("BENCH_MINUTES", "10"))
    out_dir = Path(os.environ.get("BENCH_OUT", REPO / ".bench"))
    out_dir.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {"minutes": minutes, "segment_s": float(os.environ.get("SEGMENT_SECONDS", "120")),
                              "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        short = os.environ.get("BENCH_SHORT", "1") != "0"
        small = root / "src" / "short.mp4"
        t = time.monotonic()
        small_truth = make_video(small, minutes / 5) if short else {}
        long_video = root / "src" / "long.mp4"
        truth = make_video(long_video, minutes)
        result["video_generation_s"] = round(time.monotonic() - t, 1)
        result["put_in"] = {"seconds": truth["seconds"], "cuts": truth["cuts"],
                            "caption_words": len(truth["caption_words"]), "spoken_words": len(truth["spoken_words"])}
        print(f"videos made in {result['video_generation_s']} s", flush=True)
        if short:
            result["short"] = run(root / "short", small, small_truth, kill_at_half=False)
            print(json.dumps(result["short"], indent=2), flush=True)
        print(f"running the {minutes:g}-minute one", flush=True)
        result["long"] = run(root / "long", long_video, truth, kill_at_half=True)
        if os.environ.get("BENCH_WHOLE_FILE", "1") != "0":
            heard = _heard(whole_file_words(long_video), truth["spoken_words"])
            result["whole_file_pass_heard"] = f"{heard}/{len(truth['spoken_words'])}"
    if short:
        result["ml_peak_rss_ratio_long_to_short"] = round(result["long"]["ml_peak_rss_mb"]
                                                          / result["short"]["ml_peak_rss_mb"], 3)
    print(json.dumps(result, indent=2))
    out = out_dir / "long.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"saved {out}")


if __name__ == "__main__":
    main()
