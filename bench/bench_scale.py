"""Scale benchmark (`make bench-scale`): Reelscan's own machinery, without models.

1. Pipeline overhead: real workers, PostgreSQL and Valkey; the ML service replaced by
   bench/instant_ml.py (answers at once with ITEMS valid items). Tasks per second
   from the first enqueue until every task is COMPLETED with its artifacts written, and
   the per-task overhead (the worker's started_at -> completed_at: everything but the
   model) at 1, 2 and 4 worker processes with the same ARQ_MAX_JOBS each.
2. Discovery: 10,000 small files in nested folders through `POST /videos/discover` until
   all 60,000 tasks exist and are enqueued; then a re-scan of the unchanged library.
3. API under load: 100,000 tasks and 1,000,000 artifacts (bulk-loaded with COPY), then
   `GET /tasks` (filtered, sorted, limit 50) and `GET /videos/{id}/artifacts` (by type
   over a time range) from 16 concurrent keep-alive clients (wrk), BENCH_SECONDS each;
   also a deep page by offset and by cursor. The API runs BENCH_API_WORKERS processes.
   Then search (transcripts and on-screen text hold realistic words, drawn by frequency
   from wordfreq's English list; objects carry COCO labels): `GET /search` and
   `GET /search/objects` from 16 clients, and one frame of the 60 s 720p video
   (`GET /videos/{id}/frame`, decoded and cached).
4. Peak RSS (VmHWM) of the api and worker processes.
5. Baselines on this machine, in the same run (figures differ about 2x between machines
   of the same kind): bare arq jobs doing one INSERT each (`baseline_tasks_per_s`) and the
   searches' SQL run bare (`search_sql_p95_ms`, `objects_search_sql_p95_ms`).

Writes ${BENCH_OUT:-.bench}/scale.json and prints a table. Sizes can be lowered for a
quick look: BENCH_TASKS, BENCH_FILES, BENCH_LOAD_TASKS, BENCH_LOAD_ARTIFACTS.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "dev"), str(REPO / "bench")]

import sample_videos  # noqa: E402
import search_load  # noqa: E402
from embedded_servers import EmbeddedPostgres, EmbeddedValkey, free_port  # noqa: E402
from stack import Service, wait_for_http  # noqa: E402

from reelscan_shared.adapters.db import labels as stored_labels  # noqa: E402
from reelscan_shared.adapters.db import text_index  # noqa: E402
from reelscan_shared.analyses import ANALYSES, default_config  # noqa: E402
from reelscan_shared.domain.queues import GPU_QUEUE  # noqa: E402

TASKS = int(os.environ.get("BENCH_TASKS", "3000"))
FILES = int(os.environ.get("BENCH_FILES", "10000"))
LOAD_TASKS = int(os.environ.get("BENCH_LOAD_TASKS", "100000"))
LOAD_ARTIFACTS = int(os.environ.get("BENCH_LOAD_ARTIFACTS", "1000000"))
MAX_JOBS = int(os.environ.get("BENCH_MAX_JOBS", "8"))
PROFILE = os.environ.get("BENCH_PROFILE") == "1"
PHASES = os.environ.get("BENCH_PHASES", "throughput,discovery,api").split(",")  # a subset for a quick look
ITEMS = 20
CLIENTS = 16
WRK_SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))  # per API load phase
API_WORKERS = int(os.environ.get("BENCH_API_WORKERS", "2"))  # API_WORKERS of the API under test
TYPES = [a.task_type.value for a in ANALYSES.values()]
ARTIFACT_OF = {a.task_type.value: a.artifact_type for a in ANALYSES.values()}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))], 2)


def peak_rss_mb(service: Service) -> float:
    """VmHWM, the peak resident set since start, of the service's largest process (the
    API with API_WORKERS > 1 is a supervisor and its worker processes)."""
    import psutil

    assert service.proc is not None
    peaks = []
    for proc in [psutil.Process(service.proc.pid), *psutil.Process(service.proc.pid).children(recursive=True)]:
        for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peaks.append(round(int(line.split()[1]) / 1024, 1))
    return max(peaks, default=0.0)


class Bench:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.logs = root / "logs"
        self.pg = EmbeddedPostgres(root / "pg", free_port(), log_file=self.logs / "postgres.log")
        self.valkey = EmbeddedValkey(root / "valkey", free_port(), log_file=self.logs / "valkey.log")
        self.ml_port = free_port()
        self.api_port = free_port()
        self.library = root / "library"
        self.library.mkdir(parents=True)
        self.rss: dict[str, float] = {}

    def env(self, **more: str) -> dict[str, str]:
        return {**os.environ, "DATABASE_URL": self.pg.url, "REDIS_URL": self.valkey.url,
                "ML_SERVICE_URL": f"http://127.0.0.1:{self.ml_port}", "VIDEO_PATHS": str(self.library),
                "PYTHONUNBUFFERED": "1", **more}

    def start(self) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        self.pg.start()
        self.valkey.start()
        subprocess.run([sys.executable, "-m", "reelscan_api.cli", "migrate"], env=self.env(), check=True,
                       cwd=REPO, capture_output=True)
        self.ml = Service("instant-ml", [sys.executable, str(REPO / "bench/instant_ml.py"),
                                         str(self.ml_port), str(ITEMS)], self.env(), self.logs / "ml.log")
        self.ml.start()
        wait_for_http(f"http://127.0.0.1:{self.ml_port}/health", [self.ml])
        self.api = Service("api", [sys.executable, "-m", "reelscan_api.cli", "serve"],
                           self.env(API_PORT=str(self.api_port), DISCOVERY_INTERVAL="0",
                                    API_WORKERS=str(API_WORKERS)), self.logs / "api.log")
        self.api.start()
        wait_for_http(f"http://127.0.0.1:{self.api_port}/live", [self.api])

    def stop(self) -> None:
        """Stop whatever started, each on its own: one failing stop must not leave the
        others (an orphaned valkey-server or postgres) running."""
        for name in ("api", "ml", "valkey", "pg"):
            server = getattr(self, name, None)
            if server is None:
                continue
            try:
                server.stop()
            except Exception as exc:  # noqa: BLE001 - report and go on with the rest
                print(f"stopping {name} failed: {exc!r}", file=sys.stderr)

    async def reset(self) -> None:
        conn = await asyncpg.connect(self.pg.url)
        await conn.execute("TRUNCATE videos CASCADE")
        await conn.close()
        from redis.asyncio import Redis

        redis = Redis.from_url(self.valkey.url)
        await redis.flushall()
        await redis.aclose()

    # -- 1 and 4: throughput and overhead -------------------------------------------------

    async def throughput(self, workers: int) -> dict[str, float]:
        await self.reset()
        httpx.post(f"http://127.0.0.1:{self.ml_port}/stats/reset")
        tasks = await insert_pending(self.pg.url, TASKS)
        procs = []
        for i in range(workers):
            port = free_port()
            procs.append((Service(f"worker{i}", [sys.executable, "-m", "reelscan_worker.cli"],
                                  self.env(GPU_MODE="gpu", ARQ_MAX_JOBS=str(MAX_JOBS), WORKER_METRICS_PORT=str(port)),
                                  self.logs / f"worker-{workers}-{i}.log"), port))
        for service, _ in procs:
            service.start()
        try:
            for service, port in procs:
                wait_for_http(f"http://127.0.0.1:{port}/metrics", [service])
            await asyncio.sleep(1.0)  # arq's first poll
            profilers = [profile(s, f"worker-{workers}-{i}") for i, (s, _) in enumerate(procs)] if PROFILE else []
            from arq import create_pool

            from reelscan_shared.adapters.queue import ArqJobQueue, redis_settings

            pool = await create_pool(redis_settings(self.valkey.url))
            conn = await asyncpg.connect(self.pg.url)
            cpu_before = cpu_by_process()
            t0 = time.monotonic()
            await ArqJobQueue(pool).enqueue_many(tasks)
            while True:
                done = await conn.fetchval("SELECT count(*) FROM tasks WHERE status IN ('completed', 'failed')")
                if done >= len(tasks):
                    break
                if time.monotonic() - t0 > 600:
                    raise RuntimeError(f"only {done}/{len(tasks)} tasks finished in 600 s")
                await asyncio.sleep(0.05)
            wall = time.monotonic() - t0
            cpu_after = cpu_by_process()
            cpu_ms_per_task = {k: round((cpu_after.get(k, 0) - cpu_before.get(k, 0)) * 1000 / len(tasks), 2)
                               for k in cpu_after}
            for profiler in profilers:
                profiler.wait()
            rows = await conn.fetch("SELECT status, attempts,"
                                    " EXTRACT(EPOCH FROM completed_at - started_at) * 1000 AS ms FROM tasks")
            # Per task type, the distinct numbers of artifacts its tasks stored: the instant
            # ML service answers every task of a type alike, and the worker joins its
            # per-frame items into spans, so each type must show exactly one number above 0.
            per_type = await conn.fetch(
                "SELECT t.task_type, array_agg(DISTINCT coalesce(n, 0)) AS counts FROM tasks t"
                " LEFT JOIN (SELECT task_id, count(*) AS n FROM artifacts GROUP BY task_id) a USING (task_id)"
                " GROUP BY t.task_type")
            await conn.close()
            await pool.aclose()
            for service, _ in procs:
                self.rss[f"worker ({workers} procs)"] = max(self.rss.get(f"worker ({workers} procs)", 0),
                                                            peak_rss_mb(service))
        finally:  # whatever happened, no worker outlives its run
            for service, _ in procs:
                service.stop()
        stats = httpx.get(f"http://127.0.0.1:{self.ml_port}/stats").json()
        completed = sum(r["status"] == "completed" for r in rows)
        assert completed == len(tasks), f"{len(tasks) - completed} tasks did not complete"
        assert all(len(r["counts"]) == 1 and r["counts"][0] > 0 for r in per_type), [dict(r) for r in per_type]
        assert stats["repeated"] == 0 and max(r["attempts"] for r in rows) == 1, "a task was processed twice"
        overhead = [float(r["ms"]) for r in rows]
        return {"workers": workers, "tasks": len(tasks), "wall_s": round(wall, 2),
                "tasks_per_s": round(len(tasks) / wall, 1), "overhead_p50_ms": pct(overhead, 50),
                "overhead_p99_ms": pct(overhead, 99), "ml_requests": stats["requests"],
                "cpu_ms_per_task": cpu_ms_per_task}

    # -- 2: discovery ------------------------------------------------------------------------

    async def discovery(self) -> dict[str, float]:
        await self.reset()
        for i in range(FILES):
            folder = self.library / f"year{i % 10}" / f"event{i % 100:02d}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"clip{i:05d}.mp4").write_bytes(uuid.uuid4().bytes * 128)  # 2 KB, not a real video
        client = httpx.Client(base_url=f"http://127.0.0.1:{self.api_port}", timeout=600)
        t0 = time.monotonic()
        first = client.post("/videos/discover").json()
        discovery_s = time.monotonic() - t0
        t0 = time.monotonic()
        again = client.post("/videos/discover").json()
        rescan_s = time.monotonic() - t0
        conn = await asyncpg.connect(self.pg.url)
        tasks = await conn.fetchval("SELECT count(*) FROM tasks")
        await conn.close()
        from redis.asyncio import Redis

        redis = Redis.from_url(self.valkey.url)
        queued = sum([await redis.zcard(q) for q in ("gpu_jobs", "cpu_jobs")])
        await redis.aclose()
        assert len(first["created"]) == FILES and tasks == 6 * FILES and queued == 6 * FILES, (tasks, queued)
        assert again["created"] == [] and again["found"] == FILES
        self.rss["api (discovery)"] = peak_rss_mb(self.api)
        return {"files": FILES, "discovery_s": round(discovery_s, 2), "rescan_s": round(rescan_s, 2),
                "tasks": tasks, "queued": queued}

    # -- 3: the API under load -----------------------------------------------------------------

    async def api_load(self) -> dict[str, float]:
        await self.reset()
        t0 = time.monotonic()
        video_ids = await bulk_load(self.pg.url, LOAD_TASKS, LOAD_ARTIFACTS)
        load_s = time.monotonic() - t0
        base = f"http://127.0.0.1:{self.api_port}"
        ids_file = self.root / "video_ids.txt"
        ids_file.write_text("\n".join(video_ids) + "\n")
        lua_list = ", ".join  # Lua table literals from Python lists
        task_query = f"""
local statuses = {{{lua_list(f'"{s}"' for s in ("completed", "failed", "pending", "running"))}}}
local sorts = {{"created_at", "started_at", "running_time"}}
local orders = {{"asc", "desc"}}
local types = {{{lua_list(f'"{t}"' for t in TYPES)}}}
request = function()
  local path = "/tasks?limit=50&status=" .. statuses[math.random(#statuses)] .. "&sort=" ..
    sorts[math.random(#sorts)] .. "&order=" .. orders[math.random(#orders)]
  if math.random() < 0.5 then path = path .. "&task_type=" .. types[math.random(#types)] end
  return wrk.format("GET", path)
end
"""
        artifact_query = f"""
local videos = {{}}
for line in io.lines("{ids_file}") do videos[#videos + 1] = line end
local types = {{{lua_list(f'"{t}"' for t in ARTIFACT_OF.values())}}}
request = function()
  local from = math.random(0, 49999)
  return wrk.format("GET", "/videos/" .. videos[math.random(#videos)] .. "/artifacts?artifact_type=" ..
    types[math.random(#types)] .. "&from_ms=" .. from .. "&to_ms=" .. (from + 30000))
end
"""
        results = {}
        wrk(base, task_query, 3, self.root)  # warm the pools and PostgreSQL's caches
        results["tasks"] = wrk(base, task_query, WRK_SECONDS, self.root)
        results["artifacts"] = wrk(base, artifact_query, WRK_SECONDS, self.root)
        deep = LOAD_TASKS // 2
        fixed = 'request = function() return wrk.format("GET", "{}") end'
        results["tasks_deep_offset"] = wrk(base, fixed.format(f"/tasks?limit=50&offset={deep}"), 5, self.root)
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            cursor = await cursor_at(client, deep)
        results["tasks_deep_cursor"] = wrk(base, fixed.format(f"/tasks?limit=50&cursor={cursor}"), 5, self.root)
        queries = search_load.lua_queries(self.root / "queries.txt")
        labels = ", ".join(f'"{label.replace(" ", "%20")}"' for label in search_load.LABELS[:20])
        results["search"] = wrk(base, f"""
local queries = {{}}
for line in io.lines("{queries}") do queries[#queries + 1] = line end
request = function() return wrk.format("GET", "/search?q=" .. queries[math.random(#queries)]) end
""", WRK_SECONDS, self.root)
        # the 20 most frequent labels, each as likely: the heavy ones are what people ask for
        results["objects_search"] = wrk(base, f"""
local labels = {{{labels}}}
request = function() return wrk.format("GET", "/search/objects?label=" .. labels[math.random(#labels)]) end
""", WRK_SECONDS, self.root)
        self.rss["api (load)"] = peak_rss_mb(self.api)
        sql = await search_load.sql_p95(self.pg.url, WRK_SECONDS, CLIENTS)
        video = self.library / "bench-60s-720p.mp4"
        sample_videos.bench_video(video)
        conn = await asyncpg.connect(self.pg.url)
        frame_video = str(uuid.uuid4())
        await conn.execute("INSERT INTO videos (video_id, path, file_hash, size_bytes, duration_ms, discovered_at)"
                           " VALUES ($1, $2, $3, 1, 60000, now())", frame_video, str(video), "f" * 64)
        await conn.close()
        frames = search_load.frame_timings(base, frame_video)
        return {**sql, **frames, "tasks": LOAD_TASKS, "artifacts": LOAD_ARTIFACTS, "bulk_load_s": round(load_s, 1), **{
            f"{name}_{k}": v for name, r in results.items() for k, v in r.items()}}


WRK_REPORT = """
done = function(summary, latency, requests)
  io.write(string.format('WRK {"requests": %d, "non_2xx": %d, "socket_errors": %d, "rps": %.1f, ' ..
    '"p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f}\\n', summary.requests, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
"""


def wrk(base: str, script: str, seconds: int, workdir: Path) -> dict[str, float]:
    """CLIENTS keep-alive connections for ``seconds`` (wrk, a C load generator: a Python
    client here took 40% of the two cores the API and PostgreSQL need); latency percentiles."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk not found: run dev/setup.sh (or apt-get install wrk)")
    path = workdir / "load.lua"
    path.write_text(script + WRK_REPORT)
    out = subprocess.run(["wrk", "-t1", f"-c{CLIENTS}", f"-d{seconds}s", "-s", str(path), base],
                         capture_output=True, text=True, check=True).stdout
    result = json.loads(next(line[4:] for line in out.splitlines() if line.startswith("WRK ")))
    assert result.pop("non_2xx") == 0 and result.pop("socket_errors") == 0, f"requests failed: {out}"
    return result


def cpu_by_process() -> dict[str, float]:
    """CPU seconds used so far, summed by kind of process (where the time goes)."""
    import psutil

    kinds = {"postgres": "postgres", "valkey": "valkey", "reelscan_worker": "workers", "instant_ml": "instant-ml",
             "reelscan_api": "api", "bench_scale": "benchmark"}
    totals: dict[str, float] = {}
    for proc in psutil.process_iter(["cmdline", "cpu_times"]):
        cmd = " ".join(proc.info["cmdline"] or [])
        kind = next((k for needle, k in kinds.items() if needle in cmd), None)
        if kind and proc.info["cpu_times"]:
            totals[kind] = totals.get(kind, 0) + proc.info["cpu_times"].user + proc.info["cpu_times"].system
    return totals


def profile(service: Service, name: str) -> subprocess.Popen:
    """py-spy for the first seconds of the run: collapsed stacks in BENCH_OUT/profile-NAME.txt
    (one line per stack with its sample count; feed it to a flame graph tool or grep it)."""
    out = Path(os.environ.get("BENCH_OUT", REPO / ".bench")) / f"profile-{name}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    assert service.proc is not None
    return subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(service.proc.pid),
                             "--duration", "6", "--rate", "250", "--format", "raw", "--nonblocking", "-o", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def cursor_at(client: httpx.AsyncClient, depth: int) -> str:
    """Walk the default listing by cursor down to ``depth`` (pages of 500)."""
    cursor = None
    for _ in range(depth // 500):
        page = (await client.get("/tasks", params={"limit": 500, **({"cursor": cursor} if cursor else {})})).json()
        cursor = page["next_cursor"]
    assert cursor
    return cursor


async def insert_pending(url: str, n_tasks: int):
    """Videos with their six PENDING tasks, all routed to gpu_jobs (one queue, so the
    worker count is the only variable)."""
    from reelscan_shared.domain.tasks import Task, TaskStatus, TaskType

    now = datetime.now(UTC)
    conn = await asyncpg.connect(url)
    n_videos = -(-n_tasks // 6)
    video_rows = [(str(uuid.uuid4()), f"/bench/v{i}.mp4", "a" * 64, 1000, 60_000, 0.0, now) for i in range(n_videos)]
    await conn.copy_records_to_table("videos", records=video_rows, columns=[
        "video_id", "path", "file_hash", "size_bytes", "duration_ms", "mtime", "discovered_at"])
    tasks = [Task(task_id=str(uuid.uuid4()), video_id=video_rows[i // 6][0], task_type=TaskType(TYPES[i % 6]),
                  status=TaskStatus.PENDING, queue=GPU_QUEUE, created_at=now,
                  config=default_config(TaskType(TYPES[i % 6]))) for i in range(n_tasks)]
    await conn.copy_records_to_table("tasks", records=[
        (t.task_id, t.video_id, t.task_type.value, "pending", t.queue, json.dumps(t.config), 0, now)
        for t in tasks], columns=["task_id", "video_id", "task_type", "status", "queue", "config", "attempts",
                                  "created_at"])
    await conn.close()
    return tasks


async def bulk_load(url: str, n_tasks: int, n_artifacts: int) -> list[str]:
    """n_tasks tasks (six per video, mixed statuses, a month of timestamps) and
    n_artifacts artifacts spread over the completed ones; returns the video ids."""
    rng = random.Random(1)
    conn = await asyncpg.connect(url)
    start = datetime.now(UTC) - timedelta(days=30)
    n_videos = -(-n_tasks // 6)
    video_ids = [str(uuid.uuid4()) for _ in range(n_videos)]
    await conn.copy_records_to_table("videos", records=[
        (vid, f"/library/v{i}.mp4", "b" * 64, 10**8, 600_000, 0.0, start + timedelta(seconds=i * 10))
        for i, vid in enumerate(video_ids)], columns=[
        "video_id", "path", "file_hash", "size_bytes", "duration_ms", "mtime", "discovered_at"])
    statuses = ["completed"] * 80 + ["failed"] * 8 + ["pending"] * 8 + ["running"] * 2 + ["cancelled"] * 2
    task_rows, completed = [], []
    for i in range(n_tasks):
        created = start + timedelta(seconds=i * 2)
        status = rng.choice(statuses)
        started = created + timedelta(seconds=rng.randrange(1, 600)) if status != "pending" else None
        done = started + timedelta(seconds=rng.randrange(1, 300)) if started and status != "running" else None
        task_id = str(uuid.uuid4())
        task_type = TYPES[i % 6]
        task_rows.append((task_id, video_ids[i // 6], task_type, status, GPU_QUEUE, "{}", 1,
                          "boom" if status == "failed" else None, created, started, done))
        if status == "completed":
            completed.append((task_id, video_ids[i // 6], ARTIFACT_OF[task_type]))
    await conn.copy_records_to_table("tasks", records=task_rows, columns=[
        "task_id", "video_id", "task_type", "status", "queue", "config", "attempts", "error", "created_at",
        "started_at", "completed_at"])
    per_task = -(-n_artifacts // len(completed))
    now = datetime.now(UTC)

    def rows():
        made = 0
        for task_id, video_id, artifact_type in completed:
            for k in range(per_task):
                if made == n_artifacts:
                    return
                span = k * 60_000 // per_task
                payload = json.dumps(search_load.payload(artifact_type, span, rng, k))
                yield (str(uuid.uuid4()), video_id, task_id, artifact_type, 1, span, span + 999,
                       payload, "bench", "1", "instant", "0" * 64, "1" * 64, "run", now)
                made += 1

    columns = ["artifact_id", "video_id", "task_id", "artifact_type", "schema_version", "span_start_ms",
               "span_end_ms", "payload", "producer", "producer_version", "model_profile", "config_hash",
               "input_hash", "run_id", "created_at"]
    batch: list[tuple] = []
    for row in rows():
        batch.append(row)
        if len(batch) == 100_000:
            await conn.copy_records_to_table("artifacts", records=batch, columns=columns)
            batch = []
    if batch:
        await conn.copy_records_to_table("artifacts", records=batch, columns=columns)
    await settle(conn)
    await conn.close()
    return video_ids


async def settle(conn: asyncpg.Connection) -> None:
    """What a library in use for a while has that a bulk load skips: the label spans and
    the search rows the workers' completions would have stored, and a vacuum (the
    visibility map lets counts read indexes alone) with fresh planner statistics."""
    for statement in [*stored_labels.REBUILD_ALL, *text_index.REBUILD_ALL]:
        await conn.execute(statement)
    await conn.execute("VACUUM ANALYZE")


def table(result: dict) -> str:
    goals = {"tasks_per_s": ">= 200", "overhead_p50_ms": "<= 20", "discovery_10k_s": "<= 60", "rescan_s": "<= 5",
             "tasks_list_p95_ms": "<= 50", "artifacts_p95_ms": "<= 50", "scaling_2_vs_1": ">= 1.6",
             "search_p95_ms": "<= 50", "objects_search_p95_ms": "<= 50", "frame_ms": "<= 150",
             "frame_cached_ms": "<= 5"}
    lines = [f"{'figure':<22}{'value':>12}  goal"]
    for key in ("tasks_per_s", "overhead_p50_ms", "overhead_p99_ms", "discovery_10k_s", "rescan_s",
                "tasks_list_p95_ms", "artifacts_p95_ms", "scaling_2_vs_1", "scaling_4_vs_1", "peak_rss_mb",
                "baseline_tasks_per_s", "tasks_per_s_vs_baseline", "search_p95_ms", "search_sql_p95_ms",
                "objects_search_p95_ms", "objects_search_sql_p95_ms", "frame_ms", "frame_cached_ms"):
        lines.append(f"{key:<22}{result[key]:>12}  {goals.get(key, '')}")
    return "\n".join(lines)


async def main() -> None:
    with tempfile.TemporaryDirectory(prefix="reelscan-scale-") as tmp:
        bench = Bench(Path(tmp))
        try:
            bench.start()
            runs = {}
            for n in (1, 2, 4) if "throughput" in PHASES else ():
                runs[n] = await bench.throughput(n)
                print(json.dumps(runs[n]), flush=True)
            baseline = 0.0
            if "throughput" in PHASES:
                await bench.reset()
                baseline = await search_load.baseline_tasks_per_s(bench.pg.url, bench.valkey.url, TASKS, 2, MAX_JOBS,
                                                                  bench.root)
                print(json.dumps({"baseline_tasks_per_s": baseline}), flush=True)
            found = await bench.discovery() if "discovery" in PHASES else {}
            print(json.dumps(found), flush=True)
            load = await bench.api_load() if "api" in PHASES else {}
            print(json.dumps(load))
        finally:
            bench.stop()
    if PHASES != ["throughput", "discovery", "api"]:
        print("partial run (BENCH_PHASES): nothing saved")
        return
    result = {
        "tasks_per_s": runs[2]["tasks_per_s"], "overhead_p50_ms": runs[2]["overhead_p50_ms"],
        "overhead_p99_ms": runs[2]["overhead_p99_ms"], "discovery_10k_s": found["discovery_s"],
        "rescan_s": found["rescan_s"], "tasks_list_p95_ms": load["tasks_p95_ms"],
        "artifacts_p95_ms": load["artifacts_p95_ms"],
        "scaling_2_vs_1": round(runs[2]["tasks_per_s"] / runs[1]["tasks_per_s"], 2),
        "scaling_4_vs_1": round(runs[4]["tasks_per_s"] / runs[1]["tasks_per_s"], 2),
        "peak_rss_mb": max(bench.rss.values()),
        "baseline_tasks_per_s": baseline,
        "tasks_per_s_vs_baseline": round(runs[2]["tasks_per_s"] / baseline, 3),
        "search_p95_ms": load["search_p95_ms"], "search_sql_p95_ms": load["search_sql_p95_ms"],
        "objects_search_p95_ms": load["objects_search_p95_ms"],
        "objects_search_sql_p95_ms": load["objects_search_sql_p95_ms"],
        "frame_ms": load["frame_ms"], "frame_cached_ms": load["frame_cached_ms"],
        "details": {"runs": list(runs.values()), "discovery": found, "api_load": load, "rss_mb": bench.rss,
                    "max_jobs_per_worker": MAX_JOBS, "api_workers": API_WORKERS, "http_clients": CLIENTS,
                    "items_per_task": ITEMS, "cpus": os.cpu_count(),
                    "measured_at": datetime.now(UTC).isoformat(timespec="seconds")},
    }
    out = Path(os.environ.get("BENCH_OUT", REPO / ".bench"))
    out.mkdir(parents=True, exist_ok=True)
    (out / "scale.json").write_text(json.dumps(result, indent=2) + "\n")
    print(table(result))
    print(f"saved {out / 'scale.json'}")


if __name__ == "__main__":
    asyncio.run(main())
