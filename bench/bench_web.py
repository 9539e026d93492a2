"""Web app benchmark (`make bench-web`): the app in Chromium over a big library.

Seeds, with bulk COPY into a migrated embedded PostgreSQL (as bench_scale does), a
library of BENCH_WEB_VIDEOS (10,000) videos with six completed tasks each, and one
60-minute video (a real file: 320x180 at 2 frames/s, so the browser can seek it) with
a realistic set of artifacts: a scene every 10 s, a transcript sentence every 5 s,
on-screen text, object and face tracks with sightings every 2 s, place spans. Then
starts the API (no ML service, no workers: nothing is analysed) and measures in
Chromium, from the marks the app sets with performance.mark():

- js_gzip_kb: the JavaScript the first page loads, gzip-compressed (goal <= 250 KB);
- library_first_render_ms (navigation start -> library:first-render) and
  library_scroll_ms (a scroll to the 5,000th video -> library:scrolled and its card);
- timeline_first_render_ms of the 60-minute video (navigation -> timeline:first-render)
  and timeline_seek_ms (a click on a scene mark in the middle -> timeline:seeked);
- search_ms (Enter in the search box -> search:results).

Beside each: api_ms, the API's own time for the same requests the page made (replayed
with httpx after the page, median of 5), so the browser's share reads off directly.
Prints a table and writes bench/results/web-<timestamp>.json. No asserts on time.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "dev"), str(REPO / "bench")]

import search_load  # noqa: E402
from browser_runs import VIEWPORT, ensure_web_built, launch_chromium  # noqa: E402
from embedded_servers import EmbeddedPostgres, EmbeddedValkey, free_port  # noqa: E402
from stack import Service, wait_for_http  # noqa: E402

from reelscan_shared.adapters.db import labels as stored_labels  # noqa: E402
from reelscan_shared.adapters.db import text_index  # noqa: E402
from reelscan_shared.analyses import ANALYSES, PAYLOAD_SCHEMAS, default_config, validate_payload  # noqa: E402

N_VIDEOS = int(os.environ.get("BENCH_WEB_VIDEOS", "10000"))
LONG_MS = 60 * 60 * 1000
SCROLL_TO = min(5000, N_VIDEOS - 1)
SEARCH_WORD = "lighthouse"  # said in the 60-minute video only
API_PATHS = ("/videos", "/tasks", "/queues", "/search", "/labels", "/health", "/auth", "/webhooks")
REPEATS = 5


def write_video(path: Path, seconds: int, fps: int = 2, size: tuple[int, int] = (320, 180)) -> Path:
    """A plain H.264 file of ``seconds`` (a colour that changes every 10 s), fast to make."""
    import av

    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        stream.options = {"preset": "ultrafast", "g": str(fps * 10)}
        frame = np.zeros((size[1], size[0], 3), np.uint8)
        for i in range(seconds * fps):
            frame[:] = ((i // (fps * 10)) * 37 % 256, 80, 160)
            vf = av.VideoFrame.from_ndarray(frame, format="rgb24")
            vf.pts, vf.time_base = i, Fraction(1, fps)
            container.mux(stream.encode(vf))
        container.mux(stream.encode())
    return path


def long_artifacts(rng: random.Random) -> dict[str, list[dict[str, Any]]]:
    """Payloads (the current schema versions) of a 60-minute video, by task type."""
    frame = {"frame_width": 320, "frame_height": 180}
    box = {"x1": 20.0, "y1": 20.0, "x2": 120.0, "y2": 150.0}
    scenes = [{"scene_index": i, "start_ms": i * 10_000, "end_ms": (i + 1) * 10_000, "start_frame": i * 20,
               "end_frame": (i + 1) * 20 - 1} for i in range(LONG_MS // 10_000)]
    sentences = []
    for i in range(LONG_MS // 5_000):
        words = search_load.words(rng, rng.randint(6, 14))
        if i == 360:  # half-way: the word the search finds
            words[2] = SEARCH_WORD
        sentences.append({"start_ms": i * 5_000, "end_ms": i * 5_000 + 4_500, "language": "en",
                          "text": " ".join(words).capitalize() + ".", "avg_logprob": -0.3, "no_speech_prob": 0.02})
    texts = [{**frame, "start_ms": i * 18_000, "end_ms": i * 18_000 + 6_000, "box": box, "sightings": 3,
              "text": " ".join(search_load.words(rng, 2)).upper(), "best_confidence": 0.9, "mean_confidence": 0.8}
             for i in range(LONG_MS // 18_000)]

    def tracks(n: int, label: str | None) -> list[dict[str, Any]]:
        out = []
        for _ in range(n):
            start = rng.randrange(0, LONG_MS - 20_000, 1000)
            sightings = [{"frame_ms": start + k * 2000, "box": box, "confidence": 0.8} for k in range(8)]
            item = {**frame, "start_ms": start, "end_ms": start + 14_000, "sightings": sightings,
                    "best_confidence": 0.8, "mean_confidence": 0.8}
            if label is None:
                out.append(item)
            else:
                chosen = rng.choice(search_load.LABELS[:12])
                out.append({**item, "label": chosen, "class_id": search_load.LABELS.index(chosen)})
        return sorted(out, key=lambda a: a["start_ms"])

    places = [{"start_ms": i * 120_000, "end_ms": (i + 1) * 120_000, "label": rng.choice(search_load.PLACES),
               "class_id": 1, "best_score": 0.8, "mean_score": 0.6, "samples": 24} for i in range(LONG_MS // 120_000)]
    return {"scene_detection": scenes, "transcription": sentences, "ocr": texts,
            "object_detection": tracks(600, "label"), "face_detection": tracks(150, None),
            "place_detection": places}


async def seed(url: str, library: Path, long_video: Path) -> str:
    """N_VIDEOS library videos (hard links to one small file) and the 60-minute one; its id."""
    rng = random.Random(7)
    small = library / "source.mp4"
    write_video(small, 4, size=(160, 90))
    now = datetime.now(UTC)
    conn = await asyncpg.connect(url)
    videos, paths, tasks = [], [], []
    for i in range(N_VIDEOS + 1):
        vid = str(uuid.uuid4())
        if i == N_VIDEOS:
            path, size, duration, found = long_video, long_video.stat().st_size, LONG_MS, now + timedelta(days=1)
        else:
            path = library / f"v{i:05d}.mp4"
            os.link(small, path)
            # Newest first in the library's default order: video i is the i-th card.
            size, duration, found = small.stat().st_size, rng.randrange(10_000, 3_600_000), now - timedelta(seconds=i)
        videos.append((vid, str(path), uuid.uuid4().hex * 2, size, duration, path.stat().st_mtime, found, "present"))
        paths.append((str(path), vid, size, path.stat().st_mtime, found))
        for task_type, analysis in ANALYSES.items():
            tasks.append((str(uuid.uuid4()), vid, task_type.value, "completed", analysis.queue,
                          json.dumps(default_config(task_type)), 1, found, found, found, duration, duration))
    await conn.copy_records_to_table("videos", records=videos, columns=[
        "video_id", "path", "file_hash", "size_bytes", "duration_ms", "mtime", "discovered_at", "status"])
    await conn.copy_records_to_table("video_paths", records=paths, columns=[
        "path", "video_id", "size_bytes", "mtime", "added_at"])
    await conn.copy_records_to_table("tasks", records=tasks, columns=[
        "task_id", "video_id", "task_type", "status", "queue", "config", "attempts", "created_at", "started_at",
        "completed_at", "done_ms", "total_ms"])
    long_id = videos[-1][0]
    task_of = {t[2]: t[0] for t in tasks if t[1] == long_id}
    rows = []
    for task_type, items in long_artifacts(rng).items():
        artifact_type = next(a.artifact_type for a in ANALYSES.values() if a.task_type.value == task_type)
        version = PAYLOAD_SCHEMAS[artifact_type][0]
        for p in items:
            validate_payload(artifact_type, p, version)
            rows.append((str(uuid.uuid4()), long_id, task_of[task_type], str(artifact_type), version, p["start_ms"],
                         p["end_ms"], json.dumps(p), "bench", "1", "bench-web", "0" * 64, "1" * 64, "run", now))
    await conn.copy_records_to_table("artifacts", records=rows, columns=[
        "artifact_id", "video_id", "task_id", "artifact_type", "schema_version", "span_start_ms", "span_end_ms",
        "payload", "producer", "producer_version", "model_profile", "config_hash", "input_hash", "run_id",
        "created_at"])
    for statement in [*stored_labels.REBUILD_ALL, *text_index.REBUILD_ALL]:
        await conn.execute(statement)
    await conn.execute("VACUUM ANALYZE")
    await conn.close()
    print(f"seeded {N_VIDEOS} videos + the 60-minute one with {len(rows)} artifacts")
    return long_id


class Recorder:
    """The API requests a page made (to replay them) and the JavaScript it loaded."""

    def __init__(self, page: Any) -> None:
        self.api: list[str] = []
        self.js: dict[str, bytes] = {}
        page.on("request", self._request)
        page.on("response", self._response)

    def _request(self, request: Any) -> None:
        path = urlsplit(request.url).path
        if request.method == "GET" and path.startswith(API_PATHS) and not path.endswith(("/frame", "/media")):
            self.api.append(request.url)

    def _response(self, response: Any) -> None:
        if response.request.resource_type == "script" and response.ok:
            self.js[response.url] = response.body()

    def take(self) -> list[str]:
        urls, self.api = self.api, []
        return urls


def api_ms(urls: list[str]) -> float:
    """The API's own time for these requests: each replayed REPEATS times, the medians summed."""
    total = 0.0
    with httpx.Client(timeout=30) as client:
        for url in dict.fromkeys(urls):
            times = []
            for _ in range(REPEATS):
                started = time.perf_counter()
                client.get(url).raise_for_status()
                times.append((time.perf_counter() - started) * 1000)
            total += statistics.median(times)
    return round(total, 1)


def mark_after(page: Any, name: str, after: float) -> float:
    """The time of the first ``name`` mark after ``after`` (page clock), waiting for it."""
    page.wait_for_function("([n, t]) => performance.getEntriesByName(n, 'mark').some(m => m.startTime > t)",
                           arg=[name, after], timeout=60_000)
    return float(page.evaluate("([n, t]) => performance.getEntriesByName(n, 'mark')"
                               ".find(m => m.startTime > t).startTime", [name, after]))


def now_ms(page: Any) -> float:
    return float(page.evaluate("() => performance.now()"))


def measure_library(page: Any, rec: Recorder) -> dict[str, Any]:
    page.goto("/app/")
    first = mark_after(page, "library:first-render", -1)
    page.get_by_test_id("video-card").first.wait_for()
    js = {"files": len(rec.js), "raw_kb": round(sum(map(len, rec.js.values())) / 1024, 1),
          "gzip_kb": round(sum(len(gzip.compress(b, 6)) for b in rec.js.values()) / 1024, 1)}
    first_api = api_ms(rec.take())
    # The scroll: the page's scrollable list, moved so that the SCROLL_TO-th card is in view.
    start = now_ms(page)
    page.evaluate("""k => {
        const card = document.querySelector('[data-testid="video-card"]');
        let el = card && card.parentElement;
        while (el && !(el.scrollHeight > el.clientHeight + 10 && getComputedStyle(el).overflowY !== 'visible'))
            el = el.parentElement;
        el = el || document.scrollingElement;
        el.scrollTop = el.scrollHeight * k;
    }""", SCROLL_TO / (N_VIDEOS + 1))
    scrolled = mark_after(page, "library:scrolled", start)
    page.wait_for_function("n => [...document.querySelectorAll('[data-testid=\"video-card\"]')]"
                           ".some(c => c.innerText.includes(n))", arg=f"v{SCROLL_TO // 100:03d}", timeout=60_000)
    return {"js": js, "library_first_render_ms": round(first, 1), "library_first_api_ms": first_api,
            "library_scroll_ms": round(scrolled - start, 1), "library_scroll_api_ms": api_ms(rec.take())}


def measure_timeline(page: Any, rec: Recorder, long_id: str) -> dict[str, Any]:
    rec.take()
    page.goto(f"/app/videos/{long_id}")
    first = mark_after(page, "timeline:first-render", -1)
    first_api = api_ms(rec.take())
    marks = page.locator('[data-testid="timeline-mark"][data-lane="scenes"]')
    middle = marks.nth(marks.count() // 2)
    start = now_ms(page)
    middle.click()
    seeked = mark_after(page, "timeline:seeked", start)
    return {"timeline_first_render_ms": round(first, 1), "timeline_first_api_ms": first_api,
            "timeline_marks": page.get_by_test_id("timeline-mark").count(),
            "timeline_seek_ms": round(seeked - start, 1)}


def measure_search(page: Any, rec: Recorder) -> dict[str, Any]:
    page.goto("/app/")
    page.get_by_test_id("video-card").first.wait_for()
    rec.take()
    box = page.locator('input[type="search"]')
    box.fill(SEARCH_WORD)
    start = now_ms(page)
    box.press("Enter")
    results = mark_after(page, "search:results", start)
    page.get_by_test_id("search-hit").first.wait_for()
    return {"search_ms": round(results - start, 1), "search_api_ms": api_ms(rec.take())}


def measure(base_url: str, long_id: str) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        result: dict[str, Any] = {"chromium": browser.version}
        for step in (measure_library, measure_timeline, measure_search):
            context = browser.new_context(base_url=base_url, viewport=VIEWPORT)  # a cold cache for each
            page = context.new_page()
            rec = Recorder(page)
            args = (page, rec, long_id) if step is measure_timeline else (page, rec)
            result.update(step(*args))
            context.close()
        browser.close()
    return result


def table(result: dict[str, Any]) -> str:
    rows = [("JavaScript, first page (gzip)", f"{result['js']['gzip_kb']} KB", "goal <= 250 KB", ""),
            ("library first render", f"{result['library_first_render_ms']} ms", "goal <= 1000 ms",
             f"API {result['library_first_api_ms']} ms"),
            (f"scroll to video {SCROLL_TO}", f"{result['library_scroll_ms']} ms", "goal <= 1000 ms",
             f"API {result['library_scroll_api_ms']} ms"),
            ("60-min timeline first render", f"{result['timeline_first_render_ms']} ms", "goal <= 300 ms",
             f"API {result['timeline_first_api_ms']} ms"),
            ("60-min timeline seek", f"{result['timeline_seek_ms']} ms", "goal <= 300 ms", ""),
            ("search to results", f"{result['search_ms']} ms", "goal <= 300 ms", f"API {result['search_api_ms']} ms")]
    return "\n".join(f"{a:32} {b:>12}   {c:16} {d}" for a, b, c, d in rows)


def main() -> None:
    dist = ensure_web_built()
    with tempfile.TemporaryDirectory(prefix="reelscan-bench-web-") as tmp:
        root = Path(tmp)
        library = root / "videos"
        library.mkdir()
        postgres = EmbeddedPostgres(root / "pg", free_port())
        valkey = EmbeddedValkey(root / "valkey", free_port())
        postgres.start()
        valkey.start()
        api = None
        try:
            from reelscan_api.migrations.runner import upgrade

            upgrade(postgres.url)
            long_video = write_video(library / "sixty-minutes.mp4", LONG_MS // 1000)
            long_id = asyncio.run(seed(postgres.url, library, long_video))
            port = free_port()
            env = {**os.environ, "DATABASE_URL": postgres.url, "REDIS_URL": valkey.url, "VIDEO_PATHS": str(library),
                   "API_PORT": str(port), "DISCOVERY_INTERVAL": "0", "LOG_LEVEL": "WARNING",
                   "WEB_DIST_DIR": str(dist), "ML_SERVICE_URL": f"http://127.0.0.1:{free_port()}"}
            api = Service("api", [sys.executable, "-m", "reelscan_api.cli", "serve"], env, root / "api.log")
            api.start()
            base = f"http://127.0.0.1:{port}"
            wait_for_http(f"{base}/live", [api])
            result = {"videos": N_VIDEOS, "long_video_ms": LONG_MS, **measure(base, long_id)}
        finally:
            if api is not None:
                api.stop()
            valkey.stop()
            postgres.stop()
    print(table(result))
    out = REPO / "bench" / "results" / f"web-{datetime.now(UTC):%Y%m%dT%H%M}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"saved {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
