"""What `make bench-scale` searches: realistic text and labels for the bulk-loaded
artifacts, the query mix its HTTP clients send, and the baselines measured on the same
machine in the same run (a bare SQL query of each search's shape; bare arq jobs that
do one INSERT each), so every figure also reads as a ratio to what the machine allows.

Words come from wordfreq's English list and are drawn by their frequency, so common
words match many artifacts and rare ones few, as in real transcripts.
"""

from __future__ import annotations

import asyncio
import random
import subprocess
import sys
import time
from itertools import accumulate
from pathlib import Path
from typing import Any

from wordfreq import top_n_list, word_frequency

VOCABULARY = [w for w in top_n_list("en", 20_000) if w.isalpha()]
_CUMULATIVE = list(accumulate(word_frequency(w, "en") for w in VOCABULARY))
# What people search for: words neither too common (stop words) nor too rare.
QUERY_WORDS = [w for w in VOCABULARY[300:5_000] if len(w) >= 4]
# The 80 COCO classes YOLO detects; a few are on screen far more often than the rest.
LABELS = ["person", "car", "chair", "cup", "bottle", "dog", "book", "cell phone", "laptop", "tv", "bicycle",
          "truck", "bus", "cat", "bird", "dining table", "couch", "potted plant", "clock", "backpack", "handbag",
          "umbrella", "traffic light", "bench", "motorcycle", "boat", "train", "airplane", "horse", "keyboard",
          "mouse", "remote", "bowl", "knife", "spoon", "fork", "wine glass", "sink", "refrigerator", "oven",
          "microwave", "toaster", "bed", "toilet", "vase", "scissors", "teddy bear", "hair drier", "toothbrush",
          "pizza", "donut", "cake", "sandwich", "banana", "apple", "orange", "broccoli", "carrot", "hot dog",
          "kite", "frisbee", "skis", "snowboard", "sports ball", "baseball bat", "baseball glove", "skateboard",
          "surfboard", "tennis racket", "tie", "suitcase", "fire hydrant", "stop sign", "parking meter", "sheep",
          "cow", "elephant", "bear", "zebra", "giraffe"]
_LABEL_CUMULATIVE = list(accumulate(1 / (rank + 1) for rank in range(len(LABELS))))
PLACES = ["office", "kitchen", "street", "beach", "forest", "classroom", "stadium", "library", "park", "harbor"]
BOX = {"x1": 10.0, "y1": 20.0, "x2": 200.0, "y2": 300.0}
FRAME = {"frame_width": 1280, "frame_height": 720}


def words(rng: random.Random, n: int) -> list[str]:
    return rng.choices(VOCABULARY, cum_weights=_CUMULATIVE, k=n)


def payload(artifact_type: str, ms: int, rng: random.Random, i: int) -> dict[str, Any]:
    """A version-1 payload of this type at ``ms``, its text and label drawn at random."""
    if artifact_type == "transcript_segment":
        return {"text": " ".join(words(rng, rng.randint(6, 16))).capitalize() + ".", "start_ms": ms,
                "end_ms": ms + 999, "language": "en", "avg_logprob": -0.3, "no_speech_prob": 0.02}
    if artifact_type == "ocr_text":
        return {**FRAME, "frame_ms": ms, "box": BOX, "confidence": round(rng.uniform(0.4, 0.99), 2),
                "text": " ".join(words(rng, rng.randint(1, 3))).upper()}
    if artifact_type == "object_detection":
        [label] = rng.choices(LABELS, cum_weights=_LABEL_CUMULATIVE)
        return {**FRAME, "frame_ms": ms, "box": BOX, "confidence": round(rng.uniform(0.25, 0.99), 2),
                "label": label, "class_id": LABELS.index(label)}
    if artifact_type == "face_detection":
        return {**FRAME, "frame_ms": ms, "box": BOX, "confidence": round(rng.uniform(0.5, 0.99), 2)}
    if artifact_type == "place_classification":
        return {"frame_ms": ms, "top_k": [{"label": rng.choice(PLACES), "class_id": 1,
                                           "score": round(rng.uniform(0.2, 0.9), 2)}]}
    return {"scene_index": i, "start_ms": ms, "end_ms": ms + 1000, "start_frame": i * 25, "end_frame": i * 25 + 24}


def text_query(rng: random.Random) -> str:
    """One query of the mix the clients send: mostly a word, sometimes two, sometimes a prefix."""
    roll = rng.random()
    if roll < 0.7:
        return rng.choice(QUERY_WORDS)
    if roll < 0.9:
        return f"{rng.choice(QUERY_WORDS)} {rng.choice(QUERY_WORDS)}"
    return rng.choice(QUERY_WORDS)[:4] + "*"


def lua_queries(path: Path, n: int = 2_000) -> Path:
    """``n`` queries of the mix, URL-encoded, one per line, for wrk to read."""
    from urllib.parse import quote

    rng = random.Random(7)
    path.write_text("".join(quote(text_query(rng)) + "\n" for _ in range(n)))
    return path


async def sql_p95(url: str, seconds: float, clients: int) -> dict[str, float]:
    """The searches' own SQL (adapters/db/search.py), run bare from ``clients`` connections
    for ``seconds``: the floor under GET /search and GET /search/objects."""
    from sqlalchemy import text

    from reelscan_shared.adapters.db import Database, labels
    from reelscan_shared.adapters.db import search as sql

    db = Database(url, pool_size=clients)
    out: dict[str, float] = {}
    label_search = _label_search(random.Random(0))
    try:
        for name, statements, params in (
                ("search_sql", [text(sql._TEXT_SQL)], _text_params),
                # what GET /search/objects runs: a page of the stored spans, and their count
                ("objects_search_sql", [text(labels.stored_sql(label_search)), text(labels.COUNT_SQL)],
                 _label_params)):
            latencies = await _run_clients(db, statements, params, seconds, clients)
            out[f"{name}_p50_ms"] = round(latencies[len(latencies) // 2], 2)
            out[f"{name}_p95_ms"] = round(latencies[int(len(latencies) * 0.95)], 2)
            out[f"{name}_qps"] = round(len(latencies) / seconds, 1)
    finally:
        await db.dispose()
    return out


async def _run_clients(db: Any, statements: list[Any], params: Any, seconds: float, clients: int) -> list[float]:
    latencies: list[float] = []
    end = time.monotonic() + seconds

    async def client(seed: int) -> None:
        rng = random.Random(seed)
        while time.monotonic() < end:
            values = params(rng)
            start = time.perf_counter()
            async with db.reads.connect() as conn:
                for statement in statements:
                    (await conn.execute(statement, values)).all()
            latencies.append((time.perf_counter() - start) * 1000)

    await asyncio.gather(*(client(seed) for seed in range(clients)))
    return sorted(latencies)


def _text_params(rng: random.Random) -> dict[str, Any]:
    """What GET /search would bind for one query of the mix (the API asks one hit more than a page)."""
    from reelscan_shared.adapters.db.search import text_params
    from reelscan_shared.domain.search import TextKind, TextSearch, parse_text_query

    return text_params(TextSearch(query=parse_text_query(text_query(rng)), kinds=frozenset(TextKind), limit=21))


def _label_search(rng: random.Random) -> Any:
    from reelscan_shared.domain.search import LabelKind, LabelSearch

    [label] = rng.choices(LABELS, cum_weights=_LABEL_CUMULATIVE)
    return LabelSearch(kind=LabelKind.OBJECTS, label=label)


def _label_params(rng: random.Random) -> dict[str, Any]:
    from reelscan_shared.adapters.db.labels import params

    return params(_label_search(rng))


BARE_WORKER = """
import asyncpg, os
async def startup(ctx): ctx["pg"] = await asyncpg.create_pool(os.environ["DATABASE_URL"], min_size=1, max_size=8)
async def shutdown(ctx): await ctx["pg"].close()
async def insert_one(ctx, n):
    await ctx["pg"].execute("INSERT INTO bare_jobs (n) VALUES ($1)", n)
class WorkerSettings:
    from arq.connections import RedisSettings
    functions = [insert_one]
    on_startup, on_shutdown = startup, shutdown
    queue_name = "bare_jobs"
    redis_settings = RedisSettings.from_dsn(os.environ["REDIS_URL"])
    max_jobs = int(os.environ["MAX_JOBS"])
    poll_delay = 0.05
"""


async def baseline_tasks_per_s(pg_url: str, redis_url: str, jobs: int, workers: int, max_jobs: int,
                               workdir: Path) -> float:
    """Bare arq jobs that each do one INSERT into the same PostgreSQL, drained by
    ``workers`` processes with ``max_jobs`` each: what this machine allows a job
    pipeline, against which Reelscan's tasks per second reads as a ratio."""
    import asyncpg
    from arq import create_pool
    from arq.connections import RedisSettings

    (workdir / "bare_worker.py").write_text(BARE_WORKER)
    conn = await asyncpg.connect(pg_url)
    await conn.execute("DROP TABLE IF EXISTS bare_jobs; CREATE TABLE bare_jobs (n int)")
    env = {"DATABASE_URL": pg_url, "REDIS_URL": redis_url, "MAX_JOBS": str(max_jobs), "PYTHONPATH": str(workdir),
           "PATH": "/usr/bin:/bin"}
    procs = [subprocess.Popen([sys.executable, "-m", "arq", "bare_worker.WorkerSettings"], env=env, cwd=workdir,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(workers)]
    try:
        await asyncio.sleep(3)  # the workers start and poll
        pool = await create_pool(RedisSettings.from_dsn(redis_url))
        t0 = time.monotonic()
        for n in range(jobs):
            await pool.enqueue_job("insert_one", n, _queue_name="bare_jobs")
        while await conn.fetchval("SELECT count(*) FROM bare_jobs") < jobs:
            if time.monotonic() - t0 > 300:
                raise RuntimeError("bare arq jobs did not drain in 300 s")
            await asyncio.sleep(0.05)
        wall = time.monotonic() - t0
        await pool.aclose()
    finally:
        for p in procs:
            p.terminate()
            p.wait(10)
        await conn.execute("DROP TABLE bare_jobs")
        await conn.close()
    return round(jobs / wall, 1)


def frame_timings(api_base: str, video_id: str, repeats: int = 10) -> dict[str, float]:
    """GET /videos/{id}/frame in the middle of the video: distinct moments (each decoded)
    and one moment again and again (served from the cache); medians in ms."""
    import httpx

    def median_ms(ts: list[int]) -> float:
        times = []
        with httpx.Client(base_url=api_base, timeout=30) as client:
            for t_ms in ts:
                start = time.perf_counter()
                resp = client.get(f"/videos/{video_id}/frame", params={"t_ms": t_ms})
                times.append((time.perf_counter() - start) * 1000)
                assert resp.status_code == 200 and resp.content[:2] == b"\xff\xd8", resp.text[:200]
        return round(sorted(times)[len(times) // 2], 1)

    fresh = median_ms([30_000 + 40 * k for k in range(repeats)])
    median_ms([29_000])
    cached = median_ms([29_000] * repeats)
    return {"frame_ms": fresh, "frame_cached_ms": cached}
